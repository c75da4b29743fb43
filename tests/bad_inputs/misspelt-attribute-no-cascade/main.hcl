variable "token" {
  sensitive = true
}

page "support" {
  page_idd     = "107100000000001"
  access_token = var.token
}

link "support" {
  page        = page.support.page_id
  application = "c0ffee00-0000-4000-8000-000000000001"
}
