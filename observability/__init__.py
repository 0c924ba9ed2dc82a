"""SLOs, SLI data and burn-rate evaluation; metric series and samples; the platform's
own collectors."""
