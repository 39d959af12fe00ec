"""The portfolio report (``hrpolicy report``): every product's manifest evaluated and aggregated into one
document (:mod:`hrpolicy.portfolio.build`) that the formats render (:mod:`hrpolicy.portfolio.writers`,
:mod:`hrpolicy.portfolio.html`)."""
