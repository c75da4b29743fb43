variable "token" {
  sensitive = true
}

provider "vonage" {
  endpoint = "sandbox"
}

page "support" {
  page_id      = "107100000000001
  name         = "Support"
  access_token = var.token
}

link "support" {
  page        = page.support.page_id
  application = "c0ffee00-0000-4000-8000-000000000001"
}
