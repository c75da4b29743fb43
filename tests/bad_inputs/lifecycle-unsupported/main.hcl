page "support" {
  page_id      = "107100000000001"
  access_token = var.token
  lifecycle {
    create_before_destroy = true
  }
}

link "bot" {
  page        = page.support.page_id
  application = "c0ffee00-0000-4000-8000-000000000001"
  provider    = vonage
  lifecycle {
    prevent_destroy = true
  }
}

variable "token" {
  sensitive = true
}
