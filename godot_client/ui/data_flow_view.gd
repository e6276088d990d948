class_name DataFlowView
extends VBoxContainer
## The "Data flow" page: one example traced through the live model (op `trace`) and drawn by a
## [DataFlowCanvas]. The example is the data-set row last picked in the latent view (the
## session's data point) or the row typed in the spin box. While the page is visible it keeps
## one `trace` request in flight at a time, a new one at most every [constant INTERVAL_MS]
## while the backend trains (so μ and σ move under a fixed ε), and once whenever the row, the
## seed, the run or the step changes otherwise. Resample draws a new seed (a new ε); Animate
## draws one every [constant ANIMATE_EVERY] traces. Errors (an older backend without `trace`,
## a row out of range, a malformed reply) are shown in words.

## A trace arrived and was shown (`ok`), or failed and [member error] says why.
signal trace_shown(ok: bool)

## The shortest time between two trace requests while training: at most 5 a second.
const INTERVAL_MS: int = 200
## After a failure, the same request is tried again this much later at the earliest.
const RETRY_MS: int = 3000
## Animate: a new seed after this many traces.
const ANIMATE_EVERY: int = 3
## Replies over which the rate is measured.
const RATE_WINDOW: int = 10

## The data-set row traced, and the seed of ε (0: the backend's default, the same ε each time).
var row: int = 0
var seed: int = 0
## Whether a new seed is drawn every [constant ANIMATE_EVERY] traces.
var animate: bool = false
## Traces shown since the page was made, and the last failure ("" after a success).
var traces_received: int = 0
var error: String = ""

var _in_flight: bool = false
var _dirty: bool = true
var _sent_ms: int = 0
var _retry_ms: int = 0
var _picked_row: int = -1
var _last_step: int = -1
var _last_run: String = ""
var _reply_times := PackedInt64Array()
var _since_seed: int = 0
var _rng := RandomNumberGenerator.new()

@onready var _row_spin: SpinBox = %RowSpin
@onready var _resample: Button = %Resample
@onready var _animate: CheckButton = %Animate
@onready var _status: Label = %FlowStatus
@onready var _message: Label = %FlowMessage
@onready var _canvas: DataFlowCanvas = %FlowCanvas


func _ready() -> void:
	_row_spin.value_changed.connect(_on_row_typed)
	_resample.pressed.connect(resample)
	_animate.toggled.connect(func(on: bool) -> void: animate = on)
	StudioSession.status_received.connect(_on_status)
	StudioSession.run_changed.connect(func(_run: String) -> void: _dirty = true)
	StudioSession.data_point_received.connect(_on_data_point)
	visibility_changed.connect(func() -> void: _dirty = true)
	_show_message("Waiting for the backend…", StudioPalette.TEXT_DIM)


func _process(_delta: float) -> void:
	var point: StudioDataPoint = StudioSession.data_point
	if point != null and point.row != _picked_row and point.row >= 0:
		_picked_row = point.row
		set_row(point.row)
	if _in_flight or not is_visible_in_tree() or not StudioSession.connected:
		return
	var now: int = Time.get_ticks_msec()
	if now < _retry_ms:
		return
	var live: bool = StudioSession.is_training() and now - _sent_ms >= INTERVAL_MS
	if _dirty or live:
		_send(now)


## The canvas that draws the traces.
func canvas() -> DataFlowCanvas:
	return _canvas


## The button that draws a new ε.
func resample_button() -> Button:
	return _resample


## Traces the data-set row `new_row` from now on (as typing it in the spin box does).
func set_row(new_row: int) -> void:
	if new_row == row and _row_spin.value == new_row:
		return
	row = new_row
	_row_spin.set_value_no_signal(new_row)
	_changed()


## A new seed: the next trace draws a new ε.
func resample() -> void:
	var fresh: int = seed
	while fresh == seed:
		fresh = _rng.randi() & 0x7FFFFFFF
	seed = fresh
	_since_seed = 0
	_changed()


## Traces received per second over the last [constant RATE_WINDOW] replies (0 before two).
func traces_per_s() -> float:
	if _reply_times.size() < 2:
		return 0.0
	var span_ms: int = _reply_times[-1] - _reply_times[0]
	return 1000.0 * (_reply_times.size() - 1) / maxf(span_ms, 1.0)


## The text shown above the picture (a waiting note or an error; "" when a trace is on show).
func message() -> String:
	return _message.text if _message.visible else ""


func _changed() -> void:
	_dirty = true
	_retry_ms = 0


func _on_row_typed(value: float) -> void:
	row = roundi(value)
	_changed()


func _on_status(status: Dictionary) -> void:
	var dataset: Variant = status.get("dataset")
	if dataset is Dictionary and int((dataset as Dictionary).get("n", 0)) > 0:
		_row_spin.max_value = int(dataset["n"]) - 1
	var step: int = int(status.get("step", -1))
	var run: String = str(status.get("run", ""))
	if step != _last_step or run != _last_run:
		_last_step = step
		_last_run = run
		_dirty = true


func _on_data_point(point: StudioDataPoint) -> void:
	if point.row >= 0:
		_picked_row = point.row
		set_row(point.row)


func _send(now: int) -> void:
	_in_flight = true
	_dirty = false
	_sent_ms = now
	var args: Dictionary = {"index": row, "seed": seed}
	StudioSession.send("trace", args, _on_reply.bind(args))


func _on_reply(request: VaeStudioRequest, args: Dictionary) -> void:
	_in_flight = false
	if args["index"] != row or args["seed"] != seed:
		return  # the user moved on while it travelled: the next request is due at once
	if not request.is_ok():
		_failed("Cannot trace row %d — %s" % [row, StudioSession.describe_failure(request)])
		return
	var trace := DataFlowTrace.from_result(request.result())
	if not trace.error.is_empty():
		_failed("The trace reply is malformed: %s" % trace.error)
		return
	error = ""
	traces_received += 1
	_reply_times.append(Time.get_ticks_msec())
	if _reply_times.size() > RATE_WINDOW:
		_reply_times = _reply_times.slice(_reply_times.size() - RATE_WINDOW)
	_canvas.modulate = Color.WHITE
	_canvas.show_trace(trace)
	_message.visible = false
	_status.text = "row %d · seed %d · %.1f traces/s" % [row, seed, traces_per_s()]
	_since_seed += 1
	if animate and _since_seed >= ANIMATE_EVERY:
		resample()
	trace_shown.emit(true)


func _failed(text: String) -> void:
	error = text
	_retry_ms = Time.get_ticks_msec() + RETRY_MS
	_canvas.modulate = Color(1.0, 1.0, 1.0, 0.3)
	_show_message(text, StudioPalette.ERROR)
	trace_shown.emit(false)


func _show_message(text: String, color: Color) -> void:
	_message.text = text
	_message.visible = true
	_message.add_theme_color_override("font_color", color)
