extends Node
## Operates the Settings page as a user does (added by studio_driver.gd with `--view=settings`):
##   -- --view=settings [--settings-steps=STEP|STEP|...] [--settings-marker=PATH]
## Once the page has its lists it runs the steps in order, each after the previous one is done:
##   model=NAME, data=NAME          picks in the option button
##   param.KEY=TEXT, spec.KEY=TEXT, option.KEY=TEXT, train.KEY=TEXT
##                                  types TEXT into that field of the variant's parameters, the
##                                  network keys, the data options or the training keys and
##                                  commits it (Enter); a live training key waits for its
##                                  `config.set` reply
##   encoder.I.type=T, decoder.I.KEY=TEXT, decoder.add=T, decoder.remove=I
##                                  edits row I of a custom layer list
##   check                          presses Check and waits for `model.check`'s reply
##   browse=A/B/FILE                opens Browse… for `path` and double-clicks A, B, then FILE
##   paused                         ticks "start paused"
##   newrun                         presses New run and waits for the reply (and, when it
##                                  worked, for the new run's status)
##   marker[=TEXT]                  writes TEXT ("ready") to --settings-marker (a test's cue
##                                  to act)
##   await.FORM.KEY=TEXT            waits until that field shows TEXT (another client's change;
##                                  "follow_ms" in the report: from the first marker to the
##                                  first field that showed its value)
##   steps=N                        waits until training has gone N steps further
##   scroll=END                     scrolls the page to its end (for a screenshot)
## A step that fails stops the sequence; [method report] says what was shown and done (each
## step's "after": the bar's error, the fields' and decoder rows' messages and the last check's
## error once it was done).

var view: SettingsView
var finished: bool = false
## Why the sequence stopped early ("" when it ran to its end).
var error: String = ""

var _steps: PackedStringArray = []
var _marker: String = ""
var _done: Array[Dictionary] = []
var _waiting: Callable = Callable()
var _started: bool = false
var _marker_ms: int = -1
var _follow_ms: int = -1
var _new_run: String = ""
var _apply_replies: int = 0


func configure(options: Dictionary) -> void:
	_steps = str(options.get("settings-steps", "")).split("|", false)
	_marker = str(options.get("settings-marker", ""))


func _ready() -> void:
	view.train_section.applied.connect(func(_k: String, _ok: bool) -> void: _apply_replies += 1)


func _process(_delta: float) -> void:
	if finished:
		return
	if not _started:
		if not view.lists_ready:
			return
		_started = true
	if _waiting.is_valid():
		if not _waiting.call():
			return
		_waiting = Callable()
	if not _done.is_empty() and not _done[-1].has("after"):
		# What the page showed once the step was done, before the next one changes it.
		var model: SettingsModelSection = view.model_section
		_done[-1]["after"] = {
			"view_error": view.error,
			"messages": _messages(),
			"check_error": model.check_error,
			"decoder_messages": _layer_messages(model.decoder_editor),
		}
	if _steps.is_empty():
		finished = true
		return
	var step: String = _steps[0]
	_steps.remove_at(0)
	var why: String = _run(step)
	_done.append({"step": step, "error": why})
	if not why.is_empty():
		error = "%s: %s" % [step, why]
		finished = true


## What the page shows and did, for the screenshot report.
func report() -> Dictionary:
	var model: SettingsModelSection = view.model_section
	var data: SettingsDataSection = view.data_section
	var train: SettingsTrainSection = view.train_section
	return {
		"finished": finished,
		"error": error,
		"steps": _done,
		"view_error": view.error,
		"view_message": view.message,
		"results": view.results,
		"pending": view.is_pending(),
		"models": model.models.map(func(m: Dictionary) -> String: return str(m["name"])),
		"selected_model": model.selected_model(),
		"params": model.params_form.values(),
		"spec": model.spec_form.values(),
		"model_args": model.args(),
		"check": model.last_check,
		"check_error": model.check_error,
		"check_text": model.check_text(),
		"encoder_messages": _layer_messages(model.encoder_editor),
		"decoder_messages": _layer_messages(model.decoder_editor),
		"decoder_shapes":
		range(model.decoder_editor.row_count()).map(model.decoder_editor.layer_shape),
		"selected_data": data.selected_data(),
		"options": data.options_form.values(),
		"browser_path": data.browser.current_path,
		"browser_entries": data.browser.entries,
		"browser_error": data.browser.error,
		"train": train.args(),
		"applied": train.applied_values,
		"apply_errors": train.apply_errors,
		"messages": _messages(),
		"follow_ms": _follow_ms,
		"new_run": _new_run,
		"status_run": str(StudioSession.status.get("run", "")),
		"status_step": int(StudioSession.status.get("step", -1)),
	}


func _run(step: String) -> String:
	var eq: int = step.find("=")
	var what: String = step if eq < 0 else step.left(eq)
	var text: String = "" if eq < 0 else step.substr(eq + 1)
	var parts: PackedStringArray = what.split(".")
	var why: String = ""
	match parts[0]:
		"model":
			why = "" if view.model_section.select_model(text) else "not listed"
		"data":
			why = "" if view.data_section.select_data(text) else "not listed"
		"param", "spec", "option", "train":
			why = _enter(parts[0], parts[1], text)
		"encoder", "decoder":
			why = _edit_layers(parts, text)
		"check":
			var before: int = view.model_section.checks_done
			view.model_section.check_now()
			_waiting = func() -> bool: return view.model_section.checks_done > before
		"browse":
			_browse(text.split("/", false))
		"paused":
			view.set_start_paused(true)
		"newrun":
			_press_new_run()
		"marker":
			why = _write_marker(text if not text.is_empty() else "ready")
		"await":
			_waiting = _shows.bind(_form(parts[1]), parts[2], text)
		"steps":
			var target: int = int(StudioSession.status.get("step", 0)) + text.to_int()
			_waiting = func() -> bool: return int(StudioSession.status.get("step", 0)) >= target
		"scroll":
			var scroll: ScrollContainer = view.get_node("Scroll")
			scroll.scroll_vertical = int(scroll.get_v_scroll_bar().max_value)
		_:
			why = "unknown step"
	return why


func _write_marker(text: String) -> String:
	var file := FileAccess.open(_marker, FileAccess.WRITE)
	if file == null:
		return "cannot write the marker %s" % _marker
	file.store_string(text)
	file.close()
	if _marker_ms < 0:
		_marker_ms = Time.get_ticks_msec()
	return ""


func _enter(form_name: String, key: String, text: String) -> String:
	var form: SettingsForm = _form(form_name)
	if form == null or form.field(key) == null:
		return "no field %s.%s" % [form_name, key]
	var live: bool = form == view.train_section.live_form
	var before: int = _applied_count()
	var ok: bool = form.enter(key, text)
	if ok and live and not SettingsParam.same(form.field(key).read()["value"], _config(key)):
		_waiting = func() -> bool: return _applied_count() > before
	# A refusal is what some tests want to see: it goes into the report, not into `error`.
	return ""


func _form(form_name: String) -> SettingsForm:
	var train: SettingsTrainSection = view.train_section
	match form_name:
		"param":
			return view.model_section.params_form
		"spec":
			return view.model_section.spec_form
		"option":
			return view.data_section.options_form
		"train":
			return train.live_form
	return null


func _edit_layers(parts: PackedStringArray, text: String) -> String:
	var editor: SettingsLayerEditor = (
		view.model_section.encoder_editor
		if parts[0] == "encoder"
		else view.model_section.decoder_editor
	)
	if parts.size() == 2 and parts[1] == "add":
		editor.add_layer(text)
		return ""
	if parts.size() == 2 and parts[1] == "remove":
		editor.remove_layer(text.to_int())
		return ""
	if parts.size() != 3 or not parts[1].is_valid_int():
		return "expected %s.I.KEY=TEXT" % parts[0]
	var index: int = parts[1].to_int()
	if index >= editor.row_count():
		return "the list has %d rows" % editor.row_count()
	if parts[2] == "type":
		editor.set_layer_type(index, text)
		return ""
	editor.enter(index, parts[2], text)
	return ""


func _browse(names: PackedStringArray) -> void:
	var browser: SettingsFileBrowser = view.data_section.browser
	var listed: int = browser.listings
	view.data_section.browse("path")
	_waiting = _browse_next.bind(names, [listed, 0])


## Waits for each listing, then double-clicks the next name; done once the last was chosen.
func _browse_next(names: PackedStringArray, state: Array) -> bool:
	var browser: SettingsFileBrowser = view.data_section.browser
	if not browser.error.is_empty():
		return true
	if browser.listings <= int(state[0]):
		return false
	if int(state[1]) >= names.size():
		return true
	state[0] = browser.listings
	browser.choose(names[int(state[1])])
	state[1] = int(state[1]) + 1
	# The last name is a file: choosing it closes the dialog, and no new listing comes.
	return int(state[1]) >= names.size() and not browser.visible


func _press_new_run() -> void:
	var finished_ops: Array[String] = []
	view.request_finished.connect(
		func(op: String, _ok: bool) -> void: finished_ops.append(op), CONNECT_ONE_SHOT
	)
	view.new_run()
	if not view.error.is_empty() and view.busy_op.is_empty():
		return  # refused before anything was sent: the report shows why
	_waiting = func() -> bool:
		if finished_ops.is_empty():
			return false
		_new_run = (
			str(view.results.get("run.new", {}).get("run", "")) if view.error.is_empty() else ""
		)
		return _new_run.is_empty() or str(StudioSession.status.get("run", "")) == _new_run


func _shows(form: SettingsForm, key: String, text: String) -> bool:
	if form == null or form.field(key) == null:
		return false  # not there yet (e.g. the parameter of a model another client picks)
	var read: Dictionary = form.field(key).read()
	var want: Dictionary = SettingsParam.parse(form.field(key).param, text)
	if read.has("value") and SettingsParam.same(read["value"], want.get("value")):
		if _marker_ms >= 0 and _follow_ms < 0:
			_follow_ms = Time.get_ticks_msec() - _marker_ms
		return true
	return false


func _applied_count() -> int:
	return _apply_replies


func _config(key: String) -> Variant:
	var config: Variant = StudioSession.status.get("config")
	return config.get(key) if config is Dictionary else null


## Every message shown under a field, as "form.key" -> text.
func _messages() -> Dictionary:
	var out: Dictionary = {}
	for form_name: String in ["param", "spec", "option", "train"]:
		var form: SettingsForm = _form(form_name)
		for key: String in form.keys():
			if not form.message_of(key).is_empty():
				out["%s.%s" % [form_name, key]] = form.message_of(key)
	var run_form: SettingsForm = view.train_section.run_form
	for key: String in run_form.keys():
		if not run_form.message_of(key).is_empty():
			out["train.%s" % key] = run_form.message_of(key)
	return out


## Row index (-1: the list as a whole) -> the message shown there.
static func _layer_messages(editor: SettingsLayerEditor) -> Dictionary:
	var out: Dictionary = {}
	for i: int in range(-1, editor.row_count()):
		if not editor.layer_message(i).is_empty():
			out[str(i)] = editor.layer_message(i)
	return out
