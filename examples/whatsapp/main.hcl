provider "vonage" {
  endpoint = "sandbox" # the built-in sandbox holds the WhatsApp number below
}

# A WhatsApp number onboarded through WhatsApp Embedded Signup (socialform
# cannot create one), linked to a Vonage application. Inbound WhatsApp
# messages to the number then go to the application's inbound webhook.
link "whatsapp_support" {
  channel     = "whatsapp"
  account     = "447700900123"
  application = "c0ffee00-0000-4000-8000-000000000001"
}
