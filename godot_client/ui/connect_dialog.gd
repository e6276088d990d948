class_name ConnectDialog
extends ConfirmationDialog
## Where the Studio connects: the control and stream endpoints and the token (PLAIN; empty for
## a backend that takes none). It opens filled with what the session uses now, and Connect
## makes the session drop its client and connect there.

@onready var _control_edit: LineEdit = $Rows/Grid/ControlEdit
@onready var _stream_edit: LineEdit = $Rows/Grid/StreamEdit
@onready var _token_edit: LineEdit = $Rows/Grid/TokenEdit
@onready var _current: Label = $Rows/Current
@onready var _problem: Label = $Rows/Problem


func _ready() -> void:
	confirmed.connect(_on_confirmed)
	for edit: LineEdit in [_control_edit, _stream_edit, _token_edit]:
		register_text_enter(edit)
	_problem.add_theme_color_override("font_color", StudioPalette.ERROR)


## Shows the dialog with the session's endpoints and token.
func open() -> void:
	_control_edit.text = StudioSession.control_endpoint()
	_stream_edit.text = StudioSession.stream_endpoint()
	_token_edit.text = StudioSession.token
	var state: String = "Connected to" if StudioSession.connected else "Trying"
	_current.text = (
		"%s %s (control) and %s (streams)%s."
		% [
			state,
			StudioSession.control_endpoint(),
			StudioSession.stream_endpoint(),
			", with a token" if not StudioSession.token.is_empty() else "",
		]
	)
	_problem.visible = false
	popup_centered()
	_control_edit.grab_focus()


## What Connect does with these fields: drops the session's client and connects there.
## Returns why not ("" when it went ahead); the dialog shows the reason and stays open.
func connect_to(control: String, stream: String, new_token: String) -> String:
	for endpoint: String in [control, stream]:
		var why: String = StudioSession.endpoint_problem(endpoint)
		if not why.is_empty():
			_problem.text = why
			_problem.visible = true
			return why
	hide()
	StudioSession.reconnect(control, stream, new_token)
	return ""


func _on_confirmed() -> void:
	connect_to(
		_control_edit.text.strip_edges(),
		_stream_edit.text.strip_edges(),
		_token_edit.text.strip_edges()
	)
