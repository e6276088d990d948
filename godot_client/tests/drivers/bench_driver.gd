extends Node
## Times the explorer the way a user meets it (added by studio_driver.gd with --bench):
##   -- --bench [--bench-frames=N] [--bench-rounds=R]
## Once the live run has sent a few latent frames it measures, in this order:
##   frame_2d / frame_3d  the wall time between frames over N frames (default 240) of the 2-D
##                        view, then of the 3-D view (its header button pressed), with every
##                        point of the newest latent frame drawn;
##   slider_to_image      R times (default 30): from moving the most active dimension's slider
##                        on the z tab to the decode of that z on screen, in ms and in frames;
##   grid16               R times: from the Grid tab's refresh of a 16 × 16 mosaic (256 decodes
##                        in one request) to the mosaic on screen;
##   fps_training         frames drawn per second over S one-second windows (default 3) on the
##                        latent view and the Training tab while the model trains;
##   fps_idle             the same once training is paused: the Studio draws only when something
##                        changed (low-processor mode), so this is what an idle window costs.
## The frame times above are taken with continuous drawing (what a frame costs); the frame rates
## with the project's low-processor mode (what the Studio draws).
## It prints one "BENCH name p50=… p99=… n=…" line per figure (and the points drawn), then quits.
## Nothing here asserts a time: the figures are for people to read.

const SETTLE_FRAMES: int = 3
const SETTLE_S: float = 1.5
const GRID_N: int = 16

var view: LatentView
var sliders: ZSlidersPanel
var grid: GridPanel
var tabs: TabContainer
var frames: int = 240
var rounds: int = 30
## One-second windows counted for each frame rate.
var fps_windows: int = 3

var _stage: String = "settle"
var _settled_s: float = 0.0
var _last_us: int = 0
var _samples: Array[float] = []
var _frame_samples: Array[float] = []
var _sent_us: int = 0
var _sent_frame: int = 0
var _round: int = 0
var _waiting: bool = false
var _expected_z := PackedFloat32Array()
var _window_s: float = 0.0
var _window_drawn: int = 0
## Whether the project asked for low-processor mode (frame times turn it off for a while).
var _low_processor: bool = OS.low_processor_usage_mode


func configure(options: Dictionary) -> void:
	var n: String = str(options.get("bench-frames", ""))
	if n.is_valid_int():
		frames = maxi(2, n.to_int())
	var r: String = str(options.get("bench-rounds", ""))
	if r.is_valid_int():
		rounds = maxi(1, r.to_int())
	var w: String = str(options.get("bench-fps-windows", ""))
	if w.is_valid_int():
		fps_windows = maxi(1, w.to_int())


func _ready() -> void:
	StudioSession.decode_finished.connect(_on_decode_finished)
	grid.mosaic_shown.connect(_on_mosaic_shown)


func _process(delta: float) -> void:
	var now: int = Time.get_ticks_usec()
	var since_last_ms: float = (now - _last_us) / 1000.0
	_last_us = now
	match _stage:
		"settle":
			if StudioSession.run_latent_frames >= SETTLE_FRAMES:
				_settled_s += delta
			if _settled_s >= SETTLE_S:
				_start_frames("frame_2d")
		"frame_2d", "frame_3d":
			_time_frames(since_last_ms)
		"slider_to_image":
			if not _waiting:
				_move_slider()
		"grid16":
			if not _waiting and not grid.busy:
				_refresh_grid()
		"fps_training", "fps_idle":
			_count_frames(delta)
		"pausing":
			if not StudioSession.is_training():
				_settled_s += delta
			if _settled_s >= SETTLE_S:
				_start_fps("fps_idle")


func _start_frames(stage: String) -> void:
	_stage = stage
	_samples.clear()
	OS.low_processor_usage_mode = false  # every frame drawn: the frame time is the cost
	if stage == "frame_3d":
		(view.get_node("Header/Rows/Controls/View3DToggle") as Button).button_pressed = true


## Collects frame times (the first few after a switch are skipped: they build the meshes).
func _time_frames(since_last_ms: float) -> void:
	_samples.append(since_last_ms)
	if _samples.size() < frames + 5:
		return
	var view3d: LatentView3D = view.get_node("View3D")
	var points: int = view3d.points_drawn if _stage == "frame_3d" else StudioSession.latent.count
	_print(_stage, _samples.slice(5), " points=%d" % points)
	if _stage == "frame_2d":
		_start_frames("frame_3d")
	else:
		(view.get_node("Header/Rows/Controls/View3DToggle") as Button).button_pressed = false
		OS.low_processor_usage_mode = _low_processor
		_select_tab("z")
		_stage = "slider_to_image"
		_samples.clear()
		_round = 0


## Moves the most active dimension's slider to the other side of its range, as a drag does.
func _move_slider() -> void:
	if sliders.slider_count() == 0:
		return
	var dim: int = sliders.order[0]
	var side: float = 1.0 if _round % 2 == 0 else -1.0
	var value: float = side * sliders.half_ranges[dim] * (0.3 + 0.5 * randf())
	_waiting = true
	_sent_us = Time.get_ticks_usec()
	_sent_frame = Engine.get_process_frames()
	sliders.set_dim(dim, value)
	_expected_z = StudioSession.current_z.duplicate()
	_expected_z[dim] = value


func _on_decode_finished(z: PackedFloat32Array, _image: Image) -> void:
	if _stage != "slider_to_image" or not _waiting:
		return
	if z.size() != _expected_z.size() or not _same(z, _expected_z):
		return
	_samples.append((Time.get_ticks_usec() - _sent_us) / 1000.0)
	_frame_samples.append(Engine.get_process_frames() - _sent_frame)
	_waiting = false
	_round += 1
	if _round >= rounds:
		_print("slider_to_image", _samples)
		_print("slider_to_image_frames", _frame_samples)
		_select_tab("grid")
		grid.set_auto(false)
		grid.set_n(GRID_N)
		_stage = "grid16"
		_samples.clear()
		_round = 0


func _refresh_grid() -> void:
	_waiting = true
	_sent_us = Time.get_ticks_usec()
	grid.refresh()


func _on_mosaic_shown(ok: bool) -> void:
	if _stage != "grid16" or not _waiting:
		return
	_waiting = false
	if not ok or grid.mosaic_n != GRID_N:
		return
	_samples.append((Time.get_ticks_usec() - _sent_us) / 1000.0)
	_round += 1
	if _round >= rounds:
		_print("grid16", _samples, " tiles=%d" % (GRID_N * GRID_N))
		_select_tab("training")
		_start_fps("fps_training")


## Counts frames drawn per second with the project's own drawing mode.
func _start_fps(stage: String) -> void:
	OS.low_processor_usage_mode = _low_processor
	_stage = stage
	_samples.clear()
	_window_s = -SETTLE_S  # the first moments after a switch are not counted
	_window_drawn = Engine.get_frames_drawn()


func _count_frames(delta: float) -> void:
	_window_s += delta
	if _window_s < 0.0:
		_window_drawn = Engine.get_frames_drawn()
		return
	if _window_s < 1.0:
		return
	_samples.append((Engine.get_frames_drawn() - _window_drawn) / _window_s)
	_window_s = 0.0
	_window_drawn = Engine.get_frames_drawn()
	if _samples.size() < fps_windows:
		return
	var mode: String = " low_processor=%s" % OS.low_processor_usage_mode
	_print(_stage, _samples, " frames drawn per second" + mode)
	if _stage == "fps_training":
		StudioSession.send("train.pause")
		_stage = "pausing"
		_settled_s = 0.0
	else:
		_stage = "done"
		get_tree().quit(0)


func _select_tab(title: String) -> void:
	for i in tabs.get_tab_count():
		if tabs.get_tab_title(i).to_lower() == title:
			tabs.current_tab = i


static func _same(a: PackedFloat32Array, b: PackedFloat32Array) -> bool:
	for i in a.size():
		if absf(a[i] - b[i]) > 1e-5:
			return false
	return true


static func _print(name: String, values: Array, extra: String = "") -> void:
	var sorted: Array = values.duplicate()
	sorted.sort()
	var p50: float = sorted[sorted.size() / 2]
	var p99: float = sorted[mini(sorted.size() - 1, int(sorted.size() * 0.99))]
	print("BENCH %s p50=%.3f p99=%.3f n=%d%s" % [name, p50, p99, sorted.size(), extra])
