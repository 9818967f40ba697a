"""The console's socket namespace and the console's and admin's HTTP routes: they read
input, call actions below and translate errors; they hold no domain logic."""
