# Drift, reproduced by hand: run against `socialform sandbox serve`, change
# the emulated account behind socialform's back with curl, and see
# `socialform drift` report it. The README's "Drift in CI" section walks
# through it. No provider block: the endpoint and credentials come from
# VONAGE_ENDPOINT, VONAGE_API_KEY and VONAGE_API_SECRET.

variable "support_token" {
  type      = string
  sensitive = true
  default   = "EAAB-drift-demo-token"
}

page "support" {
  page_id      = "107100000000001"
  name         = "Acme Support"
  access_token = var.support_token
}

link "bot" {
  page        = page.support.page_id
  application = "c0ffee00-0000-4000-8000-000000000001"
}
