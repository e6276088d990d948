extends SceneTree
## Headless GDScript unit test runner:
##   godot --headless --path godot_client --script res://tests/run_unit_tests.gd
## Runs every test_* method of every res://tests/unit/test_*.gd, prints each failure and a final
## line "N passed, M failed", and quits 1 on any failure. Script errors do not change Godot's exit
## code, so on Godot 4.5+ a Logger counts them and a test that raised one fails too.
## `-- --only=WORD` runs only the tests whose name contains WORD.

const UNIT_DIR: String = "res://tests/unit/"
## Built from source at run time rather than kept as a file: Godot 4.3/4.4 have no Logger
## class and would report a parse error for such a file when the project is opened.
const ERROR_COUNTER_SOURCE: String = """extends Logger
var _mutex: Mutex = Mutex.new()
var _errors: int = 0


func _log_error(_function: String, _file: String, _line: int, _code: String,
		_rationale: String, _editor_notify: bool, error_type: int,
		_script_backtrace: Array[ScriptBacktrace]) -> void:
	if error_type == ERROR_TYPE_WARNING:
		return
	_mutex.lock()
	_errors += 1
	_mutex.unlock()


func count() -> int:
	_mutex.lock()
	var n: int = _errors
	_mutex.unlock()
	return n
"""

var _error_counter: Object = null


func _initialize() -> void:
	_install_error_counter()
	var passed: int = 0
	var failed: int = 0
	var checks: int = 0
	var only: String = ""
	for arg: String in OS.get_cmdline_user_args():
		if arg.begins_with("--only="):
			only = arg.trim_prefix("--only=")
	for file: String in _test_files():
		var errors_at_load: int = _errors_seen()
		var script: GDScript = load(UNIT_DIR + file)
		if script == null or not script.can_instantiate() or _errors_seen() > errors_at_load:
			print("FAIL %s: does not load (see the errors above)" % file)
			failed += 1
			continue
		for method: Dictionary in script.get_script_method_list():
			var name: String = method["name"]
			if not name.begins_with("test_") or (only != "" and not name.contains(only)):
				continue
			# test_deliberate_* check the runner itself; they run only when --only picks them.
			if name.begins_with("test_deliberate_") and only == "":
				continue
			var case: RefCounted = script.new()
			var errors_before: int = _errors_seen()
			case.call(name)
			var failures: PackedStringArray = case.get("failures")
			checks += int(case.get("checks"))
			var new_errors: int = _errors_seen() - errors_before
			if new_errors > 0:
				failures.append("%d script error(s) were logged" % new_errors)
			if failures.is_empty():
				passed += 1
			else:
				failed += 1
				print("FAIL %s::%s" % [file, name])
				for line: String in failures:
					print("    " + line)
	print("(%d checks)" % checks)
	print("%d passed, %d failed" % [passed, failed])
	quit(1 if failed > 0 or passed == 0 else 0)


func _test_files() -> PackedStringArray:
	var files: PackedStringArray = []
	for file: String in DirAccess.get_files_at(UNIT_DIR):
		# Exported projects list scripts as .gd.remap; tests only run from source.
		if file.begins_with("test_") and file.ends_with(".gd"):
			files.append(file)
	files.sort()
	return files


func _install_error_counter() -> void:
	# Logger (and OS.add_logger) exist from Godot 4.5; on older versions errors go uncounted
	# here and the Python driver still fails the run on "SCRIPT ERROR" in the output.
	if not ClassDB.class_exists("Logger"):
		return
	var script := GDScript.new()
	script.source_code = ERROR_COUNTER_SOURCE
	if script.reload() != OK:
		push_warning("error counter did not compile; script errors go uncounted")
		return
	_error_counter = script.new()
	OS.call("add_logger", _error_counter)


func _errors_seen() -> int:
	if _error_counter == null:
		return 0
	return int(_error_counter.call("count"))
