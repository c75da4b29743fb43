page "support" {
  page_id      = "107100000000001"
  access_token = var.token
}

link "bot" {
  page        = page.support.page_id
  application = "c0ffee00-0000-4000-8000-000000000001"
  depends_on  = [page.support]
}

variable "token" {
  sensitive = true
}
