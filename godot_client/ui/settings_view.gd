class_name SettingsView
extends VBoxContainer
## Every setting the backend offers, as forms built from `model.list` and `data.list`
## (placeholder: filled by issue 11's settings work).
