class_name StudioNotice
extends PanelContainer
## A small bar over the main view showing the newest of [member StudioSession.notices]: a failed
## request in words (the server's sentence), or a different run after a restart with a button
## that loads the old one. It does not block anything; it goes away when its notice is cleared,
## expires or is dismissed (the Log tab keeps every one). "+N more" says others wait behind it.

const MARKS: Dictionary = {"error": "✖", "warning": "⚠", "info": "ℹ"}

## The notice on show ({} when hidden).
var shown: Dictionary = {}

@onready var _mark: Label = $Row/Mark
@onready var _text: Label = $Row/Text
@onready var _more: Label = $Row/More
@onready var _action: Button = $Row/Action
@onready var _dismiss: Button = $Row/Dismiss
@onready var _timer: Timer = $ExpireTimer


func _ready() -> void:
	StudioSession.notices.changed.connect(_render)
	_action.pressed.connect(_on_action_pressed)
	_dismiss.pressed.connect(_on_dismiss_pressed)
	_timer.timeout.connect(func() -> void: StudioSession.notices.expire())
	_render()


## The text on show, as the user reads it ("" when hidden).
func shown_text() -> String:
	return _text.text if visible else ""


## The action button's text ("" when there is none or the bar is hidden).
func shown_action() -> String:
	return _action.text if visible and _action.visible else ""


func _render() -> void:
	var notices: StudioNotices = StudioSession.notices
	shown = notices.newest()
	visible = not shown.is_empty()
	if shown.is_empty():
		return
	var level: String = str(shown["level"])
	var color: Color = EventLog.level_color(level)
	if level == "info":
		color = StudioPalette.ACCENT
	_mark.text = str(MARKS.get(level, "•"))
	_mark.add_theme_color_override("font_color", color)
	var count: int = int(shown["count"])
	_text.text = str(shown["text"]) + (" (×%d)" % count if count > 1 else "")
	_text.tooltip_text = _text.text
	_more.visible = notices.size() > 1
	_more.text = "+%d more" % (notices.size() - 1)
	_more.tooltip_text = "\n".join(
		notices.items.slice(0, -1).map(func(n: Dictionary) -> String: return str(n["text"]))
	)
	_action.visible = not str(shown["action"]).is_empty()
	_action.text = str(shown["action"])
	var box: StyleBox = get_theme_stylebox("panel")
	if box is StyleBoxFlat and (box as StyleBoxFlat).border_color != color:
		var tinted: StyleBoxFlat = (box as StyleBoxFlat).duplicate()
		tinted.border_color = color
		add_theme_stylebox_override("panel", tinted)


func _on_action_pressed() -> void:
	if not shown.is_empty():
		StudioSession.notices.act(str(shown["key"]))


func _on_dismiss_pressed() -> void:
	if not shown.is_empty():
		StudioSession.notices.clear(str(shown["key"]))
