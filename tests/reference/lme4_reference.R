# lme4 references for etr's mixed models (tests/analysis/test_lmm_lme4.py).
#
# Reads the data sets written by lme4_reference_data.py (lme4_data/*.csv.gz) and writes
# lme4_reference.json: for every case and criterion (REML, ML) the fixed effects and their
# standard errors, the variance components, theta, the log-likelihood and lme4's version.
# The fixed effects are fitted on etr's own design columns (X0, X1, ...), so that the REML
# log-likelihood (which depends on the parametrisation of the fixed effects through
# log det X'V^-1 X) is comparable; the planted case is also fitted with lme4's own formula
# to check that etr builds the same model (slopes, ML log-likelihood, variance components).
#
#   Rscript tests/reference/lme4_reference.R      (R 4.2, lme4 1.1-31 from Debian packages)

suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
data_dir <- file.path(here, "lme4_data")

# tight tolerances: the references should be the optimum, not the optimiser's stopping point
ctrl <- lmerControl(optimizer = "nloptwrap",
                    optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-15, xtol_rel = 1e-12,
                                   ftol_rel = 1e-15, maxeval = 100000),
                    check.conv.singular = "ignore", calc.derivs = TRUE)

summarise <- function(fit) {
  vc <- as.data.frame(VarCorr(fit))
  list(
    fixef = unname(fixef(fit)),
    fixef_names = names(fixef(fit)),
    se = unname(sqrt(diag(as.matrix(vcov(fit))))),
    varcorr = lapply(seq_len(nrow(vc)), function(i) list(
      grp = vc$grp[i], var1 = ifelse(is.na(vc$var1[i]), "", vc$var1[i]),
      var2 = ifelse(is.na(vc$var2[i]), "", vc$var2[i]), vcov = vc$vcov[i])),
    sigma2 = sigma(fit)^2,
    theta = unname(getME(fit, "theta")),
    loglik = as.numeric(logLik(fit)),
    nobs = nobs(fit)
  )
}

fit_both <- function(formula, data) {
  list(REML = summarise(lmer(formula, data = data, REML = TRUE, control = ctrl)),
       ML = summarise(lmer(formula, data = data, REML = FALSE, control = ctrl)))
}

explicit <- function(data, random) {
  xs <- grep("^X[0-9]+$", names(data), value = TRUE)
  xs <- xs[order(as.integer(sub("X", "", xs)))]
  as.formula(paste("y ~ 0 +", paste(xs, collapse = " + "), "+", random))
}

read_case <- function(name) {
  d <- read.csv(gzfile(file.path(data_dir, paste0(name, ".csv.gz"))),
                colClasses = c(pqc_id = "character", architecture_id = "character"))
  d
}

out <- list(lme4_version = as.character(packageVersion("lme4")),
            r_version = R.version.string, cases = list())

planted <- read_case("planted")
out$cases$planted_nested <- fit_both(explicit(planted, "(1 | pqc_id/architecture_id)"),
                                     planted)
out$cases$planted_intercept <- fit_both(explicit(planted, "(1 | pqc_id)"), planted)
natural <- y ~ training_config + x:training_config + training_config:factor(n_qubits) +
  training_config:factor(layers) + (1 | pqc_id/architecture_id)
out$cases$planted_natural <- fit_both(natural, planted)

slope <- read_case("planted_slope")
out$cases$slope <- fit_both(explicit(slope, "(1 + x | pqc_id)"), slope)
out$cases$slope_nested <- fit_both(
  explicit(slope, "(1 + x | pqc_id) + (1 | pqc_id:architecture_id)"), slope)

for (d in c("grad_var_train", "grad_var_landscape")) {
  q <- read_case(paste0("quick_", d))
  out$cases[[paste0("quick_", d)]] <- fit_both(explicit(q, "(1 | pqc_id/architecture_id)"), q)
}

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(here, "lme4_reference.json"))
cat("wrote", file.path(here, "lme4_reference.json"), "\n")
