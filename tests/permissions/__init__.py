"""Who may do what: committee commands and buttons on both platforms, against every kind of actor."""
