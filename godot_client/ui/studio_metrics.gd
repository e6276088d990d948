class_name StudioMetrics
extends RefCounted
## The live run's metric series from its first step: seeded from a `metrics.history` reply
## (bucket means over the whole run) and extended by each live `metrics` message and `eval`
## result after it. Each series keeps its own steps, so sparse ones (test_loss, written only
## every `eval_every` steps) need no NaN padding.

## Fields of a `metrics` message that are not series.
const NOT_SERIES: Array[String] = ["v", "run", "step"]
## A series longer than this has each pair of neighbouring points merged into their mean (at
## the later step), so a long session keeps the whole curve in bounded memory.
const MAX_POINTS: int = 2000
## The series an `eval` message adds: name -> [its field, sign] (test_loss = −ELBO).
const EVAL_SERIES: Dictionary = {
	"test_loss": ["elbo", -1.0], "test_recon": ["recon", 1.0], "test_kl": ["kl", 1.0]
}

## The run these series belong to ("" before any).
var run: String = ""
## The run whose history reply was merged in ("" until one was): the curve starts at its first
## step only once this equals [member run].
var history_run: String = ""
## Steps per bucket of the merged history (0 before one).
var history_bucket: int = 0
## The last step the merged history covered; live points after it follow it.
var history_last_step: int = 0
## Bumped on every change, so a chart redraws only when something is new.
var revision: int = 0
## True after a history reply from before the run's first step (a reset or new run answered at
## step 0: nothing to merge). The live stream is thinned to 10 Hz, so its first point may be
## step 9 or 200; the session asks again once it is in, so the curve starts at step 1.
var history_before_first_step: bool = false

## name -> {"steps": PackedFloat64Array, "values": PackedFloat32Array}, steps ascending.
var _series: Dictionary = {}


## Drops every series and starts over for `new_run`.
func clear(new_run: String = "") -> void:
	run = new_run
	history_run = ""
	history_bucket = 0
	history_last_step = 0
	history_before_first_step = false
	_series = {}
	revision += 1


## The series names, sorted.
func names() -> PackedStringArray:
	var out := PackedStringArray(_series.keys())
	out.sort()
	return out


func has_series(name: String) -> bool:
	return _series.has(name)


func steps_of(name: String) -> PackedFloat64Array:
	return _series[name]["steps"] if _series.has(name) else PackedFloat64Array()


func values_of(name: String) -> PackedFloat32Array:
	return _series[name]["values"] if _series.has(name) else PackedFloat32Array()


## The smallest step of any series (-1 when empty): 1 or so once the history is in.
func first_step() -> int:
	var first: float = INF
	for name: String in _series:
		var steps: PackedFloat64Array = _series[name]["steps"]
		if not steps.is_empty():
			first = minf(first, steps[0])
	return -1 if first == INF else int(first)


## The largest step of any series (-1 when empty).
func last_step() -> int:
	var last: float = -1.0
	for name: String in _series:
		var steps: PackedFloat64Array = _series[name]["steps"]
		if not steps.is_empty():
			last = maxf(last, steps[-1])
	return int(last)


## Adds every numeric field of a live `metrics` message at its step. A step at or before a
## series' last one is skipped (the history already holds it). Returns whether anything new
## was added.
func append_message(message: Dictionary) -> bool:
	var step: Variant = message.get("step")
	if not _is_number(step):
		return false
	var added: bool = false
	for key: Variant in message:
		var name: String = str(key)
		if name in NOT_SERIES or not _is_number(message[key]):
			continue
		added = _append(name, float(step), float(message[key])) or added
	if added:
		revision += 1
	return added


## Adds one value of one series at `step` (e.g. test_loss from an `eval` message).
func append_value(name: String, step: float, value: float) -> bool:
	var added: bool = _append(name, step, value)
	if added:
		revision += 1
	return added


## Adds an `eval` message (the test split at its step) as test_loss, test_recon and test_kl, as
## the trainer writes them into that step's metrics record.
func append_eval(message: Dictionary) -> bool:
	var step: Variant = message.get("step")
	if not _is_number(step):
		return false
	var added: bool = false
	for name: String in EVAL_SERIES:
		var value: Variant = message.get(EVAL_SERIES[name][0])
		if _is_number(value):
			var point: float = float(EVAL_SERIES[name][1]) * float(value)
			added = _append(name, float(step), point) or added
	if added:
		revision += 1
	return added


## Merges a `metrics.history` result: its buckets replace every point up to its `last_step`,
## and the live points already received after that step stay behind them (no gap, no step
## twice). Returns "" or what was wrong with the reply (nothing is changed then).
func merge_history(result: Dictionary) -> String:
	var problem: String = _history_problem(result)
	if not problem.is_empty():
		return problem
	var last: int = int(result["last_step"])
	var steps := PackedFloat64Array(Array(VaeStudioArray.to_int32(result["steps"])))
	var merged: Dictionary = {}
	var series: Dictionary = result["series"]
	for key: Variant in series:
		var means: PackedFloat32Array = VaeStudioArray.to_float32(series[key]["mean"])
		var entry: Dictionary = _empty_entry()
		for i in mini(steps.size(), means.size()):
			if is_finite(means[i]):
				entry["steps"].append(steps[i])
				entry["values"].append(means[i])
		merged[str(key)] = entry
	# The live tail: points after the history's last step.
	for name: String in _series:
		var old_steps: PackedFloat64Array = _series[name]["steps"]
		var old_values: PackedFloat32Array = _series[name]["values"]
		if not merged.has(name):
			merged[name] = _empty_entry()
		for i in old_steps.size():
			if old_steps[i] > last:
				merged[name]["steps"].append(old_steps[i])
				merged[name]["values"].append(old_values[i])
	for name: String in merged.keys():
		if (merged[name]["steps"] as PackedFloat64Array).is_empty():
			merged.erase(name)
		else:
			_thin(merged[name])
	_series = merged
	run = str(result["run"])
	history_run = run
	history_bucket = int(result.get("bucket", 0))
	history_last_step = last
	history_before_first_step = steps.is_empty()
	revision += 1
	return ""


## The value of series `name` at the point nearest `step` as [step, value] ([] when empty).
func nearest(name: String, step: float) -> Array:
	var steps: PackedFloat64Array = steps_of(name)
	if steps.is_empty():
		return []
	var i: int = clampi(steps.bsearch(step), 0, steps.size() - 1)
	if i > 0 and absf(steps[i - 1] - step) <= absf(steps[i] - step):
		i -= 1
	return [steps[i], values_of(name)[i]]


func _append(name: String, step: float, value: float) -> bool:
	if not _series.has(name):
		_series[name] = _empty_entry()
	var entry: Dictionary = _series[name]
	var steps: PackedFloat64Array = entry["steps"]
	if not steps.is_empty() and step <= steps[-1]:
		return false
	entry["steps"].append(step)
	entry["values"].append(value)
	_thin(entry)
	return true


static func _empty_entry() -> Dictionary:
	return {"steps": PackedFloat64Array(), "values": PackedFloat32Array()}


## Halves a series over [constant MAX_POINTS]: each pair becomes its mean at the later step.
static func _thin(entry: Dictionary) -> void:
	var steps: PackedFloat64Array = entry["steps"]
	if steps.size() <= MAX_POINTS:
		return
	var values: PackedFloat32Array = entry["values"]
	var kept_steps := PackedFloat64Array()
	var kept_values := PackedFloat32Array()
	var start: int = steps.size() % 2  # an odd first point stays alone, so the last stays last
	if start == 1:
		kept_steps.append(steps[0])
		kept_values.append(values[0])
	for i in range(start, steps.size(), 2):
		kept_steps.append(steps[i + 1])
		kept_values.append((values[i] + values[i + 1]) / 2.0)
	entry["steps"] = kept_steps
	entry["values"] = kept_values


static func _history_problem(result: Dictionary) -> String:
	for key: String in ["run", "last_step", "steps", "series"]:
		if not result.has(key):
			return "the metrics.history reply has no '%s'" % key
	var steps: Variant = result["steps"]
	if not steps is Dictionary or not VaeStudioArray.validate(steps).is_empty():
		return "metrics.history 'steps' is not an i32 array"
	if (steps as Dictionary).get("dtype") != "i32":
		return "metrics.history 'steps' is %s, not i32" % (steps as Dictionary).get("dtype")
	if not result["series"] is Dictionary:
		return "metrics.history 'series' is not a map of name -> {mean, min, max}"
	for key: Variant in result["series"]:
		var entry: Variant = result["series"][key]
		var mean: Variant = entry.get("mean") if entry is Dictionary else null
		if not mean is Dictionary or (mean as Dictionary).get("dtype") != "f32":
			return "metrics.history series '%s' has no f32 'mean' array" % key
		if not VaeStudioArray.validate(mean).is_empty():
			return "metrics.history series '%s': %s" % [key, VaeStudioArray.validate(mean)]
	return ""


static func _is_number(value: Variant) -> bool:
	return typeof(value) == TYPE_INT or typeof(value) == TYPE_FLOAT
