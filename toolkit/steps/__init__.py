"""Steps: what one array element does for one run spec (or once per sweep)."""
