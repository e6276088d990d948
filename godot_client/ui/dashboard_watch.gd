class_name DashboardWatch
extends PanelContainer
## The training watch's warnings as a banner on the Dashboard: the backend posts a `log`
## warning once when the posterior collapses, training diverges or gradients vanish (each with
## a hint); the banner lists the newest of each kind for the live run until dismissed or a new
## run starts. (They also go into the Log tab, as every event does.)

const TITLES: Dictionary = {
	"collapse": "Posterior collapse",
	"divergence": "Divergence",
	"vanishing_gradients": "Vanishing gradients",
}

## event -> its newest message, for the live run.
var warnings: Dictionary = {}
var text: Label


func _ready() -> void:
	var style := StyleBoxFlat.new()
	style.bg_color = Color(StudioPalette.WARN, 0.16)
	style.border_color = StudioPalette.WARN
	style.set_border_width_all(1)
	style.set_corner_radius_all(4)
	style.set_content_margin_all(6)
	add_theme_stylebox_override("panel", style)
	var row := HBoxContainer.new()
	add_child(row)
	text = Label.new()
	text.name = "Warnings"
	text.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	text.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	# A wrapping label's height follows its width: without a width to start from it would ask
	# for a line per word, and a long hint would push the page far taller than the window.
	text.custom_minimum_size = Vector2(400, 0)
	text.max_lines_visible = 4
	text.tooltip_text = "The training watch's warnings (also in the Log tab)"
	text.add_theme_color_override("font_color", StudioPalette.WARN)
	row.add_child(text)
	var close := Button.new()
	close.text = "×"
	close.flat = true
	close.tooltip_text = "Dismiss (the Log tab keeps them)"
	close.pressed.connect(dismiss)
	row.add_child(close)
	StudioSession.log_received.connect(_on_log)
	StudioSession.run_changed.connect(func(_run: String) -> void: dismiss())
	for entry: Dictionary in StudioSession.log_entries:
		_on_log(entry)
	_render()


## True for a `log` event the banner shows.
static func is_watch_event(entry: Dictionary) -> bool:
	return entry.get("level") == "warning" and TITLES.has(str(entry.get("event", "")))


## One line of the banner: "⚠ Posterior collapse at step 812: no latent dimension …"; the title
## and step go first unless the message already begins with the title.
static func describe(entry: Dictionary) -> String:
	var event: String = str(entry.get("event", ""))
	var title: String = TITLES.get(event, event)
	var message: String = str(entry.get("message", ""))
	if message.to_lower().begins_with(title.to_lower()):
		return "⚠ " + message
	return "⚠ %s (step %s): %s" % [title, str(entry.get("step", "?")), message]


func dismiss() -> void:
	warnings = {}
	_render()


func _on_log(entry: Dictionary) -> void:
	if not is_watch_event(entry):
		return
	warnings[str(entry["event"])] = entry
	_render()


func _render() -> void:
	var lines: PackedStringArray = []
	for event: String in warnings:
		lines.append(describe(warnings[event]))
	text.text = "\n".join(lines)
	visible = not lines.is_empty()
