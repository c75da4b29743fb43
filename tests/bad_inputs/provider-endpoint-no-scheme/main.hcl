provider "vonage" {
  endpoint = "127.0.0.1:8481"
}

variable "token" {
  sensitive = true
}

page "support" {
  page_id      = "107100000000001"
  access_token = var.token
}
