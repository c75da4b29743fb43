# The quickstart runs against the built-in sandbox: an emulator of the Vonage
# APIs that socialform starts inside its own process, keeping the emulated
# account under state/. No Vonage account, no Facebook page needed.
provider "vonage" {
  endpoint = "sandbox"
}

variable "support_token" {
  type        = string
  sensitive   = true
  description = "Page access token for Acme Support"
}

variable "sales_token" {
  type        = string
  sensitive   = true
  description = "Page access token for Acme Sales"
}

locals {
  # The sandbox starts with two demo applications that have Messages enabled.
  support_bot = "c0ffee00-0000-4000-8000-000000000001"
  sales_bot   = "c0ffee00-0000-4000-8000-000000000002"
}

# Part 1 of the dashboard flow: a Facebook Page connected to the Vonage account.
page "support" {
  page_id      = "107100000000001"
  name         = "Acme Support"
  access_token = var.support_token
}

page "sales" {
  page_id      = "107100000000002"
  name         = "Acme Sales"
  access_token = var.sales_token
}

# Part 2: each page linked to one Vonage application.
link "support_bot" {
  page        = page.support.page_id
  application = local.support_bot
}

link "sales_bot" {
  page        = page.sales.page_id
  application = local.sales_bot
}
