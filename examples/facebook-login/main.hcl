# Page tokens fetched from Facebook instead of copied by hand. No page here
# has an access_token: provider "facebook" reads each page's token with the
# user token (one paginated GET /me/accounts per run), checks every token
# Vonage holds or is about to get, and plans a reconnect before one dies.
#
# Both providers run against the built-in sandbox: its Graph emulator has a
# demo user who manages three pages. No Vonage or Facebook account needed.
provider "vonage" {
  endpoint = "sandbox"
}

provider "facebook" {
  endpoint = "sandbox"
  # Against Facebook itself, leave endpoint out and give a long-lived user
  # (or system-user) token with pages_show_list, pages_messaging and
  # pages_manage_metadata, from a sensitive variable or FACEBOOK_USER_TOKEN:
  #   user_token = var.facebook_user_token
}

# Every page the user token can manage: page ID => { id, name, tasks }.
data "facebook_pages" "managed" {}

# One page block per managed page; their tokens come from Facebook.
page "acme" {
  for_each = data.facebook_pages.managed.pages
  page_id  = each.key
  name     = each.value.name
}

# The support page answers through the sandbox's demo "Support bot".
link "support" {
  page        = page.acme["107900000000001"].page_id
  application = "c0ffee00-0000-4000-8000-000000000001"
}
