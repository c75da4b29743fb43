variable "token" {
  sensitive = true
}

page "support" {
  page_id      = "107100000000001"
  access_token = var.token
  lifecycle {
    prevent_destroy = true
