extends Node
## Watches and operates the Data flow page (added by studio_driver.gd with `--view="data flow"`):
##   -- --view="data flow" [--flow-row=I | --flow-pick=I] [--flow-resample] [--flow-animate]
## Once the page has shown a few traces it types row I into the row spin box (--flow-row), or
## picks data-set row I as a click on its point in the latent view does (--flow-pick: main.gd
## hands the view's row_selected to StudioDataPoint.inspect), and waits for that row's trace;
## then it counts the traces shown over [constant WINDOW_S] seconds (the live rate while the
## backend trains). With --flow-resample it then clicks Resample through synthetic
## mouse events (Input.parse_input_event, so the button's own input handling runs) and waits for
## a trace of the new seed. [method report] says what the canvas drew.

## Traces to wait for before anything is measured.
const SETTLE_TRACES: int = 3
const WINDOW_S: float = 3.0

var view: DataFlowView
var flow_row: int = -1
## True: the row is picked as in the latent view, not typed.
var pick: bool = false
var resample: bool = false
var animate: bool = false
## True once everything asked for is on screen.
var finished: bool = false

var _stage: int = 0
var _window_s: float = 0.0
var _window_start: int = 0
var _window_traces: int = 0
var _window_training: bool = true
var _before: Dictionary = {}
var _after: Dictionary = {}
var _clicked_at := Vector2.ZERO


func configure(options: Dictionary) -> void:
	var row: String = str(options.get("flow-row", ""))
	if row.is_valid_int():
		flow_row = row.to_int()
	var picked: String = str(options.get("flow-pick", ""))
	if picked.is_valid_int():
		flow_row = picked.to_int()
		pick = true
	resample = options.has("flow-resample")
	animate = options.has("flow-animate")


func _process(delta: float) -> void:
	if finished or view.traces_received < SETTLE_TRACES and view.error.is_empty():
		return
	match _stage:
		0:
			if flow_row >= 0 and pick:
				StudioDataPoint.inspect(flow_row)
			elif flow_row >= 0:
				var spin: SpinBox = view.get_node("%RowSpin")
				spin.value = flow_row  # as typing it does: value_changed
			if animate:
				(view.get_node("%Animate") as CheckButton).button_pressed = true
			_stage = 1
		1:
			var trace: DataFlowTrace = view.canvas().trace
			if not view.error.is_empty():
				finished = true  # an error on show is what the test looks at
			elif trace != null and (flow_row < 0 or trace.index == flow_row):
				_window_start = view.traces_received
				_stage = 2
		2:
			_window_s += delta
			_window_training = _window_training and StudioSession.is_training()
			if _window_s >= WINDOW_S:
				_window_traces = view.traces_received - _window_start
				_stage = 3
				finished = not resample
		3:
			_before = _snapshot()
			_click(view.resample_button())
			_stage = 4
		4:
			var trace: DataFlowTrace = view.canvas().trace
			if view.seed != _before["seed"] and view.traces_received > _before["traces"]:
				if trace != null and trace.eps != PackedFloat32Array(_before["eps"]):
					_after = _snapshot()
					finished = true


## Presses and releases the left button over the middle of `button`.
func _click(button: Control) -> void:
	_clicked_at = button.get_global_rect().get_center()
	MouseInput.click(_clicked_at, true)


func _snapshot() -> Dictionary:
	var trace: DataFlowTrace = view.canvas().trace
	return {
		"seed": view.seed,
		"traces": view.traces_received,
		"eps": Array(trace.eps) if trace != null else [],
		"z": Array(trace.z) if trace != null else [],
		"mu": Array(trace.mu) if trace != null else [],
		"image_hashes": view.canvas().image_hashes.duplicate(),
	}


## What the page showed, for the screenshot report.
func report() -> Dictionary:
	var canvas: DataFlowCanvas = view.canvas()
	var trace: DataFlowTrace = canvas.trace
	var origin: Vector2 = canvas.get_global_rect().position
	var out: Dictionary = {
		"finished": finished,
		"error": view.error,
		"message": view.message(),
		"row": view.row,
		"spin_value": (view.get_node("%RowSpin") as SpinBox).value,
		"seed": view.seed,
		"traces_received": view.traces_received,
		"window_s": _window_s,
		"window_traces": _window_traces,
		"window_training": _window_training,
		"traces_per_s": view.traces_per_s(),
		"before_resample": _before,
		"after_resample": _after,
		"clicked_at": [_clicked_at.x, _clicked_at.y],
		"resample_rect": ReportValues.rect_of(view.resample_button()),
		"canvas_rect": ReportValues.rect_of(canvas),
		"graph_rect": _global(canvas.graph_rect, origin),
		"columns":
		canvas.columns_drawn.map(func(c: Dictionary) -> Dictionary: return _moved(c, origin)),
		"chips":
		canvas.chips_drawn.map(func(c: Dictionary) -> Dictionary: return _moved(c, origin)),
		"latent": canvas.latent_drawn,
		"image_hashes": canvas.image_hashes,
	}
	if trace != null:
		out["trace"] = {
			"model": trace.model,
			"step": trace.step,
			"index": trace.index,
			"label": trace.label,
			"latent_dim": trace.latent_dim(),
			"layers": trace.layers.map(_layer_entry),
			"identity_error": trace.identity_error(),
		}
	return out


static func _layer_entry(layer: DataFlowLayer) -> Dictionary:
	return {"name": layer.name, "shape": Array(layer.shape)}


## A drawn entry with its rectangles in screen pixels.
static func _moved(entry: Dictionary, origin: Vector2) -> Dictionary:
	var out: Dictionary = entry.duplicate()
	for key: String in ["rect", "texture_rect"]:
		if out.has(key):
			var r: Array = out[key]
			out[key] = [r[0] + roundi(origin.x), r[1] + roundi(origin.y), r[2], r[3]]
	return out


static func _global(rect: Rect2, origin: Vector2) -> Array[int]:
	var moved := Rect2(rect.position + origin, rect.size)
	return [
		roundi(moved.position.x),
		roundi(moved.position.y),
		roundi(moved.size.x),
		roundi(moved.size.y)
	]
