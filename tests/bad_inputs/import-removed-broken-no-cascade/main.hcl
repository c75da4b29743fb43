variable "token" {
  sensitive = true
}

page "support" {
  page_idd     = "107100000000001"
  access_token = var.token
}

# Both point at the block above, which is declared (with an error): no
# "not declared" for either.
import {
  to = page.support
  id = "107100000000001"
}

removed {
  from = page.support
}
