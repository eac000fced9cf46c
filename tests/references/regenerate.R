# Regenerates the reference outputs the Python tests compare against (tests/references/).
# Run from the repository root:  Rscript tests/references/regenerate.R
# Needs Debian's R packages: r-base-core r-cran-metafor r-cran-sandwich r-cran-lme4 r-cran-aer
# (jsonlite comes with them). Each output records R's and the packages' versions.
suppressPackageStartupMessages({
  library(jsonlite)
  library(metafor)
  library(sandwich)
  library(lme4)
  library(AER)
})

here <- "tests/references"
provenance <- function(what) list(
  what = what,
  r = R.version.string,
  packages = lapply(c(metafor = "metafor", sandwich = "sandwich", AER = "AER", lme4 = "lme4",
                      jsonlite = "jsonlite"),
                    function(p) as.character(packageVersion(p))),
  script = "tests/references/regenerate.R"
)
save <- function(name, value) {
  write_json(value, file.path(here, "outputs", paste0(name, ".json")), digits = NA,
             auto_unbox = TRUE, pretty = TRUE)
}
coefs <- function(values) as.list(setNames(as.numeric(values), names(values)))

# Meta-analysis: BCG vaccine trials (Colditz et al. 1994), as shipped in metafor's dat.bcg;
# log risk ratios and their sampling variances from escalc.
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
write.csv(data.frame(trial = paste(bcg$author, bcg$year), yi = as.numeric(bcg$yi),
                     vi = as.numeric(bcg$vi)),
          file.path(here, "data", "bcg.csv"), row.names = FALSE)
fit_meta <- function(method) {
  fit <- rma(yi, vi, data = bcg, method = method,
             control = list(threshold = 1e-12, maxiter = 10000))
  prediction <- predict(fit)
  list(estimate = as.numeric(fit$beta), se = fit$se, ci_low = fit$ci.lb, ci_high = fit$ci.ub,
       p_value = fit$pval, tau2 = fit$tau2, i2 = fit$I2 / 100, h2 = fit$H2, q = fit$QE,
       q_p_value = fit$QEp, prediction_low = prediction$pi.lb, prediction_high = prediction$pi.ub)
}
save("meta_bcg", list(provenance = provenance("metafor::rma on dat.bcg (log RR)"),
                      reml = fit_meta("REML"), dl = fit_meta("DL"), fixed = fit_meta("FE")))

# Least squares with robust and clustered errors (sandwich), on mtcars.
cars <- mtcars
cars$cyl6 <- as.numeric(cars$cyl == 6)
cars$cyl8 <- as.numeric(cars$cyl == 8)
write.csv(cars[, c("mpg", "wt", "hp", "cyl6", "cyl8", "gear", "carb", "am", "vs")],
          file.path(here, "data", "mtcars.csv"), row.names = FALSE)
ols <- lm(mpg ~ wt + hp + cyl6 + cyl8, data = cars)
se_of <- function(v) coefs(sqrt(diag(v)))
save("ols_mtcars", list(
  provenance = provenance("lm(mpg ~ wt + hp + cyl6 + cyl8, mtcars) with sandwich::vcovHC/vcovCL"),
  coef = coefs(coef(ols)),
  se = list(
    hc1 = se_of(vcovHC(ols, type = "HC1")),
    hc2 = se_of(vcovHC(ols, type = "HC2")), hc3 = se_of(vcovHC(ols, type = "HC3")),
    cluster_gear = se_of(vcovCL(ols, cluster = ~gear, type = "HC1"))
  )
))

# Poisson and logit with Stata's vce(robust): the HC0 sandwich times n/(n-1).
stata_robust <- function(fit) {
  n <- nobs(fit)
  se_of(sandwich(fit) * n / (n - 1))
}
tight <- glm.control(epsilon = 1e-15, maxit = 100)
poisson <- glm(carb ~ wt + am, family = poisson, data = cars, control = tight)
logit <- glm(vs ~ mpg + am, family = binomial, data = cars, control = tight)
save("glm_mtcars", list(
  provenance = provenance("glm on mtcars; sandwich::sandwich × n/(n−1) (Stata vce(robust))"),
  poisson = list(coef = coefs(coef(poisson)), se = stata_robust(poisson)),
  logit = list(coef = coefs(coef(logit)), se = stata_robust(logit))
))
# Multilevel models by REML (lme4::lmer) on eefAnalytics' example trials (tests/data/), as
# crtFREQ (random school intercept) and mstFREQ (random school intercept and treatment effect)
# fit them, each with its intercept-only (unconditional) model. Bobyqa with a tight end radius,
# so the optimum is found to ~1e-8 and the comparison tests the model, not the optimiser.
tight_reml <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))
multilevel <- function(fit) {
  vc <- as.data.frame(VarCorr(fit))
  vc$name <- ifelse(is.na(vc$var2), ifelse(is.na(vc$var1), vc$grp, vc$var1),
                    paste(vc$var1, vc$var2, sep = ":"))
  list(coef = coefs(fixef(fit)), se = coefs(sqrt(diag(as.matrix(vcov(fit))))),
       variances = as.list(setNames(vc$vcov, vc$name)), reml_criterion = REMLcrit(fit),
       singular = isSingular(fit), n = nobs(fit))
}
crt <- read.csv("tests/data/eefAnalytics_crtData.csv")
save("multilevel_crt", list(
  provenance = provenance("lmer(Posttest ~ Intervention + Prettest + (1 | School)), crtData, REML"),
  conditional = multilevel(lmer(Posttest ~ Intervention + Prettest + (1 | School), data = crt,
                                REML = TRUE, control = tight_reml)),
  unconditional = multilevel(lmer(Posttest ~ 1 + (1 | School), data = crt, REML = TRUE,
                                  control = tight_reml))
))
mst <- read.csv("tests/data/eefAnalytics_mstData.csv")
quiet_singular <- function(expr) withCallingHandlers(expr, message = function(m) {
  if (grepl("singular", conditionMessage(m))) invokeRestart("muffleMessage")
})
save("multilevel_mst", list(
  provenance = provenance(
    "lmer(Posttest ~ Intervention + Prettest + (1 + Intervention | School)), mstData, REML"),
  conditional = multilevel(quiet_singular(lmer(
    Posttest ~ Intervention + Prettest + (1 + Intervention | School), data = mst, REML = TRUE,
    control = tight_reml))),
  unconditional = multilevel(lmer(Posttest ~ 1 + (1 | School), data = mst, REML = TRUE,
                                  control = tight_reml))
))
# Two-stage least squares (AER::ivreg) on AER's CigarettesSW, 1995 (Stock & Watson): packs per
# capita on the real price, instrumented by the sales tax and the cigarette-specific tax, with
# income exogenous; classical, HC1 and clustered (4 states a cluster, in row order) errors.
data("CigarettesSW", package = "AER")
cig <- subset(CigarettesSW, year == "1995")
cig <- data.frame(packs = log(cig$packs), rprice = log(cig$price / cig$cpi),
                  rincome = log(cig$income / cig$population / cig$cpi),
                  tdiff = (cig$taxs - cig$tax) / cig$cpi, rtax = cig$tax / cig$cpi,
                  cluster = (seq_len(nrow(cig)) - 1) %/% 4)
write.csv(cig, file.path(here, "data", "cigarettes.csv"), row.names = FALSE)
iv <- ivreg(packs ~ rprice + rincome | rincome + tdiff + rtax, data = cig)
save("iv_cigarettes", list(
  provenance = provenance("AER::ivreg(packs ~ rprice + rincome | rincome + tdiff + rtax)"),
  coef = coefs(coef(iv)),
  se = list(classical = se_of(vcov(iv)), hc1 = se_of(vcovHC(iv, type = "HC1")),
            cluster = se_of(vcovCL(iv, cluster = ~cluster, type = "HC1")))
))

# Hedges' g of an individually randomised analysis, conditional (residual SD) and
# unconditional (outcome SD), by the formulas of eefAnalytics' srtFREQ documentation, written
# out here in R as an independent computation: each data set analysed ignoring its schools.
hedges <- function(data) {
  fit <- lm(Posttest ~ Intervention + Prettest, data = data)
  beta <- unname(coef(fit)["Intervention"])
  n_t <- sum(data$Intervention == 1)
  n_c <- sum(data$Intervention == 0)
  j <- 1 - 3 / (4 * (n_t + n_c - 2) - 1)
  g_of <- function(sd) {
    d <- beta / sd
    half <- qnorm(0.975) * sqrt((n_t + n_c) / (n_t * n_c) + d^2 / (2 * (n_t + n_c)))
    list(g = j * d, ci_low = j * (d - half), ci_high = j * (d + half), sd = sd)
  }
  list(coef = beta, n_t = n_t, n_c = n_c, conditional = g_of(summary(fit)$sigma),
       unconditional = g_of(sd(data$Posttest)))
}
save("hedges_g", list(
  provenance = provenance("eefAnalytics srtFREQ's Hedges' g, by its formulas, on crtData/mstData"),
  crt = hedges(crt), mst = hedges(mst)
))
cat("wrote", file.path(here, "outputs"), "\n")
