# A Vonage application declared beside the pages that route to it: one
# apply creates the application, then connects both pages linked to it.
# Runs against the built-in sandbox: no Vonage account, no Facebook page.
provider "vonage" {
  endpoint = "sandbox"
}

variable "support_token" {
  type      = string
  sensitive = true
}

variable "sales_token" {
  type      = string
  sensitive = true
}

variable "returns_token" {
  type      = string
  sensitive = true
}

application "support" {
  name = "Acme Support Bot"
  messages {
    inbound_url = "https://bot.example.com/webhooks/inbound"
    status_url  = "https://bot.example.com/webhooks/status"
    version     = "v1"
  }
  # The public half of the key pair only: Vonage never generates one for
  # socialform, and the private key stays with the bot that signs its JWTs.
  public_key = file("keys/support.pub")
}

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

# Both pages route to the application above; socialform creates it first.
link "support" {
  page        = page.support.page_id
  application = application.support.id
}

link "sales" {
  page        = page.sales.page_id
  application = application.support.id
}

# An application made elsewhere (here the sandbox's demo "Sales bot") is
# named by its name: a name no application has, or several have, is an
# error at the expression, before any call.
data "vonage_applications" "messaging" {
  capability = "messages"
}

page "returns" {
  page_id      = "107100000000003"
  name         = "Acme Returns"
  access_token = var.returns_token
}

link "returns" {
  page        = page.returns.page_id
  application = data.vonage_applications.messaging.by_name["Sales bot"].id
}
