variable "token" {
  sensitive = true
  type      = string
}

variable "ids" {
  type = list(number)
}

page "a" {
  page_id      = "107100000000001"
  access_token = var.token
}
