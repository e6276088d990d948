extends Node
## Watches what the Studio shows and takes orders from a file, for the tests that run several
## Studios against one backend or restart the backend under one (added by studio_driver.gd):
##   -- --watch=PATH [--orders=PATH]
## PATH (JSON) is rewritten whenever something on screen changes, and every second: "now" (what
## the training fields, the status bar, the notice bar, the Log, the pins and the session hold
## now) and "timeline" (each change of what is on screen with its Unix time, so a test measures
## how soon a change made elsewhere shows here). Each line appended to the orders file is
## carried out once, in order, the way a user does it (one that cannot run yet waits):
##   new_run MODEL [DATA]   the Runs panel: picks MODEL (and the data set), presses New run
##   set_field lr|beta TEXT types TEXT into that training field and presses Enter
##   press_notice           presses the notice bar's button (e.g. "Load <run>")
##   pin                    pins the z on show (the Pins tab's Pin button)
##   view KEY=VALUE         another latent view, as the view's menus ask (e.g. color=loss)
##   send OP JSON           a request from no panel (a failure goes to the notice bar)
##   tab NAME               opens that side tab
##   press run|step|reset   presses that training button (Reset opens its confirmation)
##   confirm_reset          presses OK in Reset's confirmation (waits for it to be open)
##   save                   the Runs panel's Save
##   hold FX,FY | release   presses (and keeps down) the left button at those fractions of the
##                          latent view, then lets it go, through Input.parse_input_event
##   stop                   done: the screenshot is taken and the Studio quits
## Beside what the timeline follows, "now" holds the decode on show ("decode": its count, run,
## step and a hash of the image), the most decode requests ever in flight at once
## ("decodes_in_flight_max", counted among the client's pending requests every frame), the
## readouts, the legend, the latent view's zoom and the waiting overlay's words.

## What the timeline follows: the texts on screen and the session's link and run.
const WATCHED: Array[String] = [
	"connected",
	"run",
	"lr",
	"beta",
	"batch",
	"run_button",
	"controls_message",
	"bar_state",
	"bar_summary",
	"bar_clients",
	"notice_text",
	"notice_action",
]
const MouseInput := preload("res://tests/drivers/mouse_input.gd")
const WRITE_EVERY_S: float = 1.0
const POLL_ORDERS_S: float = 0.1

var main: Control
var watch_path: String = ""
var orders_path: String = ""
## True once a `stop` order came.
var finished: bool = false

var _timeline: Array[Dictionary] = []
var _last: Dictionary = {}
var _orders_done: int = 0
var _order_log: Array[String] = []
var _since_write_s: float = 0.0
var _since_poll_s: float = 0.0
var _dirty: bool = true
var _controls: TrainingControls
var _bar: StatusBar
var _runs: RunsPanel
var _pins: PinsPanel
var _tabs: TabContainer
var _view: LatentView
var _decodes_in_flight_max: int = 0
var _held_at := Vector2.ZERO


func configure(options: Dictionary) -> void:
	watch_path = str(options.get("watch", ""))
	orders_path = str(options.get("orders", ""))


func _ready() -> void:
	_controls = main.get_node("Layout/Body/Side/Tabs/Training/TrainingControls")
	_bar = main.get_node("%StatusBar")
	_runs = main.get_node("%Runs")
	_pins = main.get_node("%Pins")
	_tabs = main.get_node("%Tabs")
	_view = main.get_node("%LatentView")


func _process(delta: float) -> void:
	var in_flight: int = 0
	for request: VaeStudioRequest in StudioSession.client.get("_pending").values():
		in_flight += 1 if request.op == "decode" else 0
	_decodes_in_flight_max = maxi(_decodes_in_flight_max, in_flight)
	_since_poll_s += delta
	if _since_poll_s >= POLL_ORDERS_S and not orders_path.is_empty():
		_since_poll_s = 0.0
		_carry_out_orders()
	var now: Dictionary = _screen()
	var t: float = Time.get_unix_time_from_system()
	for key: String in WATCHED:
		if not _last.has(key) or _last[key] != now[key]:
			_timeline.append({"t": t, "key": key, "value": now[key]})
			_dirty = true
	_last = now
	_since_write_s += delta
	if _dirty or _since_write_s >= WRITE_EVERY_S:
		_write(now)


## What the Studio shows and holds, for the report and the watch file.
func report() -> Dictionary:
	var now: Dictionary = _screen()
	var history: StudioMetrics = StudioSession.metrics_history
	now["log"] = Array(EventLog.lines())
	now["step"] = int(StudioSession.status.get("step", 0))
	now["state"] = str(StudioSession.status.get("state", ""))
	now["clients"] = StudioSession.status.get("clients", -1)
	now["latent_view"] = StudioSession.latent_view
	now["offered_run"] = StudioSession.connection.offered_run
	now["notices"] = StudioSession.notices.items.map(
		func(n: Dictionary) -> String: return str(n["text"])
	)
	now["history"] = {
		"run": history.run,
		"history_run": history.history_run,
		"first_step": history.first_step(),
		"last_step": history.last_step(),
		"recon_points": history.steps_of("recon").size(),
	}
	now["pins"] = {
		"count": StudioSession.pins.size(),
		"redecodes": _pins.redecodes,
		"images": _pins.pin_images.size(),
		"error": _pins.error,
	}
	now["decoded_images"] = StudioSession.decoded_images
	now["runs_panel"] = {"error": _runs.error, "message": _runs.message, "busy": _runs.busy_op}
	now["orders_done"] = _orders_done
	var image: Image = (main.get_node("%InspectorPanel") as InspectorPanel).shown_image()
	now["decode"] = {
		"images": StudioSession.decoded_images,
		"run": StudioSession.decoded_run,
		"step": StudioSession.decoded_step,
		"hash": hash(image.get_data()) if image != null else 0,
	}
	now["decodes_in_flight_max"] = _decodes_in_flight_max
	now["readouts"] = _readouts()
	var legend: Array = []
	for label: Node in _view.get_node("Legend/Rows").get_children():
		if label is Label and not (label as Label).text.is_empty():
			legend.append((label as Label).text)
	now["legend"] = legend
	now["view"] = {
		"center": [_view.view_center.x, _view.view_center.y],
		"pixels_per_unit": _view.pixels_per_unit,
		"auto_fit": _view.auto_fit,
	}
	var overlay: Control = main.get_node("%BackendOverlay")
	now["overlay"] = {
		"visible": overlay.visible,
		"title": (overlay.get_node("Center/Panel/Rows/Title") as Label).text,
		"hint": (overlay.get_node("Center/Panel/Rows/Hint") as Label).text,
	}
	now["reset_dialog"] = (_controls.get_node("ResetDialog") as Window).visible
	var event: Label = _bar.get_node("Row/Event")
	now["bar_event"] = event.text if event.visible else ""
	return {"now": now, "timeline": _timeline, "orders": _order_log}


## The readouts' captions and values ({"Samples/s": "412", ...}): each cell of its grid holds a
## caption and a value.
func _readouts() -> Dictionary:
	var out: Dictionary = {}
	var readouts: Node = main.find_child("RunReadouts", true, false)
	for cell: Node in readouts.find_children("*", "VBoxContainer", true, false):
		var labels: Array[Node] = cell.get_children().filter(
			func(n: Node) -> bool: return n is Label
		)
		if labels.size() == 2:
			out[(labels[0] as Label).text] = (labels[1] as Label).text
	return out


## The texts on screen the timeline follows.
func _screen() -> Dictionary:
	var fields: Node = _controls.get_node("Rows/Fields")
	var notice: StudioNotice = main.get("notice")
	return {
		"connected": StudioSession.connected,
		"run": str(StudioSession.status.get("run", "")),
		"lr": (fields.get_node("LrEdit") as LineEdit).text,
		"beta": (fields.get_node("BetaEdit") as LineEdit).text,
		"batch": (fields.get_node("BatchSpin") as SpinBox).get_line_edit().text,
		"run_button": (_controls.get_node("Rows/Buttons/RunButton") as Button).text,
		"controls_message": (_controls.get_node("Rows/Message") as Label).text,
		"bar_state": (_bar.get_node("Row/State") as Label).text,
		"bar_summary": (_bar.get_node("Row/Run") as Label).text,
		"bar_clients": (_bar.get_node("Row/Clients") as Label).text,
		"notice_text": notice.shown_text(),
		"notice_action": notice.shown_action(),
	}


func _write(now: Dictionary) -> void:
	_dirty = false
	_since_write_s = 0.0
	if watch_path.is_empty():
		return
	var body: Dictionary = report()
	body["now"].merge(now, true)
	# Written aside and renamed, so a reader never sees half a file.
	var part: String = watch_path + ".part"
	var file := FileAccess.open(part, FileAccess.WRITE)
	if file == null:
		push_error("--watch: cannot write %s" % part)
		watch_path = ""
		return
	file.store_string(JSON.stringify(body))
	file.close()
	DirAccess.rename_absolute(part, watch_path)


func _carry_out_orders() -> void:
	if finished or not FileAccess.file_exists(orders_path):
		return
	var lines: PackedStringArray = FileAccess.get_file_as_string(orders_path).split("\n", false)
	while _orders_done < lines.size():
		var order: String = lines[_orders_done].strip_edges()
		if not _carry_out(order):
			return  # not possible yet: tried again on the next poll
		_orders_done += 1
		_order_log.append("%.3f %s" % [Time.get_unix_time_from_system(), order])
		_dirty = true


## Carries out one order; false when it cannot be done yet.
func _carry_out(order: String) -> bool:
	var words: PackedStringArray = order.split(" ", false, 2)
	var verb: String = words[0] if not words.is_empty() else ""
	var rest: String = " ".join(words.slice(1)) if words.size() > 1 else ""
	match verb:
		"new_run":
			if _runs.models.is_empty() or not _runs.select_model(words[1]):
				return false
			if words.size() > 2 and not _runs.select_data(words[2]):
				return false
			_runs.new_run()
		"set_field":
			_type_into(words[1], words[2] if words.size() > 2 else "")
		"press_notice":
			var button: Button = (main.get("notice") as StudioNotice).get_node("Row/Action")
			if not button.is_visible_in_tree():
				return false
			button.pressed.emit()
		"pin":
			return _pins.pin_current()
		"view":
			var pair: PackedStringArray = rest.split("=")
			StudioSession.set_latent_view({pair[0]: pair[1]})
		"send":
			var args: Variant = JSON.parse_string(words[2]) if words.size() > 2 else {}
			StudioSession.send(words[1], _whole_numbers(args) if args is Dictionary else {})
		"tab":
			for i in _tabs.get_tab_count():
				if _tabs.get_tab_title(i).to_lower() == rest.to_lower():
					_tabs.current_tab = i
		"stop":
			finished = true
		_:
			return _carry_out_on_controls(verb, rest, order)
	return true


## The orders that press the training buttons, the Runs panel's Save, or the latent view; false
## when one cannot be done yet.
func _carry_out_on_controls(verb: String, rest: String, order: String) -> bool:
	match verb:
		"press":
			var button: Button = _controls.get_node("Rows/Buttons/%sButton" % rest.capitalize())
			button.pressed.emit()
		"save":
			if not _runs.busy_op.is_empty():
				return false
			_runs.save_run()
		"confirm_reset":
			var dialog: ConfirmationDialog = _controls.get_node("ResetDialog")
			if not dialog.visible:
				return false
			dialog.get_ok_button().pressed.emit()
		"hold", "release":
			var at: PackedStringArray = rest.split(",")
			var rect: Rect2 = _view.get_global_rect()
			var pixel: Vector2 = (
				rect.position + rect.size * Vector2(at[0].to_float(), at[1].to_float())
				if verb == "hold"
				else _held_at
			)
			_held_at = pixel
			MouseInput.button(pixel, verb == "hold", MOUSE_BUTTON_LEFT, false, true)
		_:
			push_error("--orders: unknown order '%s'" % order)
	return true


## Types `text` into the lr or beta field and presses Enter, as a user does.
func _type_into(field: String, text: String) -> void:
	var name: String = "LrEdit" if field == "lr" else "BetaEdit"
	var edit: LineEdit = _controls.get_node("Rows/Fields/%s" % name)
	edit.grab_focus()
	edit.text = text
	edit.text_changed.emit(text)
	edit.text_submitted.emit(text)


## JSON has one number type: whole floats become ints (as msgpack args such as `n` must be).
static func _whole_numbers(value: Variant) -> Variant:
	if value is Dictionary:
		var out: Dictionary = {}
		for key: Variant in value:
			out[key] = _whole_numbers(value[key])
		return out
	if value is Array:
		return (value as Array).map(_whole_numbers)
	if value is float and value == floorf(value):
		return int(value)
	return value
