extends Node
## Operates the Samples and Grid tabs through their public methods, as their buttons do (added
## by studio_driver.gd when `--tab=samples` or `--tab=grid`):
##   -- --tab=samples [--samples-temperature=T]
##   -- --tab=grid [--grid-n=N]
## Samples: waits for the first grid of samples, sets the temperature T (default 0.5) and waits
## for samples drawn at T with the same seed, then re-rolls and waits for those; with a
## conditional model also for the class row. Grid: sets n (default 8), waits for a mosaic of
## n × n tiles, then counts the auto refreshes of the next AUTO_WINDOW_S seconds while the
## backend trains. [method report] says what was shown.

## Latent frames of the live run to wait for first, so the model has trained a little.
const SETTLE_FRAMES: int = 3
const AUTO_WINDOW_S: float = 3.0

var samples: SamplesPanel
var grid: GridPanel
var tab: String = ""
var temperature: float = 0.5
var grid_n: int = 8
## True once everything asked for is on screen.
var finished: bool = false

var _stage: int = 0
var _shown_before: int = 0
var _first := {}
var _at_temperature := {}
var _rerolled := {}
var _auto_s: float = 0.0
var _auto_refreshes: int = 0


func configure(options: Dictionary) -> void:
	tab = str(options.get("tab", "")).to_lower()
	var t: String = str(options.get("samples-temperature", ""))
	if t.is_valid_float():
		temperature = t.to_float()
	var n: String = str(options.get("grid-n", ""))
	if n.is_valid_int():
		grid_n = n.to_int()


func _process(delta: float) -> void:
	if finished or StudioSession.run_latent_frames < SETTLE_FRAMES:
		return
	if tab == "samples":
		_drive_samples()
	elif tab == "grid":
		_drive_grid(delta)
	else:
		finished = true


func _drive_samples() -> void:
	if samples.busy or samples.results_shown <= _shown_before:
		return
	match _stage:
		0:
			_first = _snapshot()
			_shown_before = samples.results_shown
			samples.set_temperature(temperature)
			_stage = 1
		1:
			if float(samples.last_args.get("temperature", -1.0)) != samples.temperature:
				return
			_at_temperature = _snapshot()
			_shown_before = samples.results_shown
			samples.reroll()
			_stage = 2
		2:
			_rerolled = _snapshot()
			_stage = 3
		3:
			var classes: int = mini(StudioSession.num_classes(), SamplesPanel.MAX_CLASSES)
			var waiting: bool = StudioSession.is_conditional() and not samples.images.is_empty()
			finished = not waiting or samples.class_images.size() == classes


func _drive_grid(delta: float) -> void:
	match _stage:
		0:
			grid.set_n(grid_n)
			_stage = 1
		1:
			if not grid.busy and grid.results_shown > 0 and not grid.error.is_empty():
				finished = true  # e.g. vector data: the error is the result
				return
			if grid.busy or grid.mosaic_n != clampi(grid_n, GridPanel.MIN_N, GridPanel.MAX_N):
				return
			_shown_before = grid.results_shown
			_stage = 2
		2:
			_auto_s += delta
			_auto_refreshes = grid.results_shown - _shown_before
			finished = _auto_s >= AUTO_WINDOW_S


## What the panel shows now.
func _snapshot() -> Dictionary:
	return {
		"seed": samples.sample_seed,
		"temperature": float(samples.last_args.get("temperature", -1.0)),
		"z": samples.sampled_z,
		"hashes": samples.images.map(func(image: Image) -> int: return hash(image.get_data())),
	}


## What the driven panel showed, for the screenshot report.
func report() -> Dictionary:
	if tab == "grid":
		return _grid_report()
	return _samples_report()


func _samples_report() -> Dictionary:
	var sent: Dictionary = {}
	for key: String in ["n", "seed", "temperature"]:
		sent[key] = samples.last_args.get(key)
	var out: Dictionary = {
		"finished": finished,
		"samples_shown": samples.images.size(),
		"samples_values": samples.values.size(),
		"samples_value_width": samples.value_width,
		"samples_last_args": sent,
		"samples_temperature": samples.temperature,
		"samples_error": samples.error,
		"samples_message": samples.message,
		"samples_rect": ReportValues.rect_of(samples.grid_view()),
		"class_images": samples.class_images.size(),
		"class_distinct":
		ReportValues.distinct(
			samples.class_images.map(func(i: Image) -> int: return hash(i.get_data()))
		),
	}
	out["samples_distinct"] = ReportValues.distinct(
		samples.images.map(func(i: Image) -> int: return hash(i.get_data()))
	)
	if not _first.is_empty() and not _at_temperature.is_empty():
		out["seed_first"] = _first["seed"]
		out["temperature_first"] = _first["temperature"]
		out["temperature_second"] = _at_temperature["temperature"]
		out["seed_second"] = _at_temperature["seed"]
		out["z_norm_first"] = _norm(_first["z"])
		out["z_norm_second"] = _norm(_at_temperature["z"])
	if not _rerolled.is_empty():
		out["seed_rerolled"] = _rerolled["seed"]
		out["z_changed_by_reroll"] = _rerolled["z"] != _at_temperature["z"]
		var changed: int = 0
		var before: Array = _at_temperature["hashes"]
		var after: Array = _rerolled["hashes"]
		for i in mini(before.size(), after.size()):
			changed += 1 if before[i] != after[i] else 0
		out["samples_changed_by_reroll"] = changed
	return out


func _grid_report() -> Dictionary:
	var out: Dictionary = {
		"finished": finished,
		"grid_n": grid.mosaic_n,
		"grid_error": grid.error,
		"grid_message": grid.message,
		"grid_rect": ReportValues.rect_of(grid.mosaic_view()),
		"grid_extent":
		[grid.extent.position.x, grid.extent.position.y, grid.extent.size.x, grid.extent.size.y],
		"grid_auto": grid.auto,
		"grid_auto_refreshes": _auto_refreshes,
		"grid_auto_window_s": AUTO_WINDOW_S,
	}
	var z: Variant = grid.last_args.get("z")
	out["grid_rows_sent"] = int((z as Dictionary)["shape"][0]) if z is Dictionary else 0
	if grid.mosaic == null or grid.mosaic_n == 0:
		return out
	var size: Vector2i = grid.tile_size
	var step: Vector2i = size + Vector2i(GridPanel.TILE_GAP, GridPanel.TILE_GAP)
	out["grid_mosaic_size"] = [grid.mosaic.get_width(), grid.mosaic.get_height()]
	out["grid_tile_size"] = [size.x, size.y]
	var exact: Array[int] = []
	var coarse: Array[int] = []
	for row in grid.mosaic_n:
		for col in grid.mosaic_n:
			var tile: Image = grid.mosaic.get_region(Rect2i(Vector2i(col, row) * step, size))
			var data: PackedByteArray = tile.get_data()
			exact.append(hash(data))
			# Grey levels in 8 steps: tiles that differ only in faint pixels count as one.
			for i in data.size():
				data[i] = data[i] >> 5
			coarse.append(hash(data))
	out["grid_tiles"] = exact.size()
	out["grid_tiles_distinct"] = ReportValues.distinct(exact)
	out["grid_tiles_distinct_coarse"] = ReportValues.distinct(coarse)
	return out


static func _norm(values: PackedFloat32Array) -> float:
	var total: float = 0.0
	for value in values:
		total += value * value
	return sqrt(total)
