import {
  to = nonsense
  id = "1"
}
