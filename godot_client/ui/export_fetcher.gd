class_name ExportFetcher
extends RefCounted
## Brings a run's export to a folder of this machine: `run.export` writes the chosen items into
## the run's folder on the server and lists them, a 1-byte `run.fetch` of each learns its size
## and SHA-256 (so the progress has a total), then `run.fetch` copies each file over in chunks,
## one request in flight, into `name.part`, hashing as it goes. A file whose SHA-256 matches
## the server's is renamed to its name; any other is removed. A failure (a lost connection, an
## error reply, a full disk) removes the partial file and keeps the finished ones, so
## [method retry] goes on with the rest; [method cancel] stops at once, the same way. Requests
## go out through `send` (op, args, on_reply) -> VaeStudioRequest, [method StudioSession.send].

## Something moved: a chunk landed, a file finished, the state changed.
signal progressed
## The export ended: everything copied and checked (`ok`), or failed or cancelled
## ([member error] says why; empty when cancelled).
signal finished(ok: bool)

enum State { IDLE, EXPORTING, SIZING, FETCHING, DONE, FAILED, CANCELLED }

## A file that changes on the server while it is copied (the live run's autosave rewrites its
## checkpoint) is started again this many times before the export gives up.
const MAX_RESTARTS: int = 3

## Bytes asked of each `run.fetch` (1 … ExportPlan.MAX_CHUNK).
var chunk_size: int = ExportPlan.MAX_CHUNK
var state: State = State.IDLE
var run: String = ""
var items: PackedStringArray = []
## The destination as an absolute path of this machine, ending in "/".
var folder: String = ""
## What `run.export` listed (paths relative to the run folder) and the items it left out, each
## with the reason.
var files: PackedStringArray = []
var skipped: PackedStringArray = []
## Whether the run's model takes class labels (1), does not (0) or is unknown (-1): says why
## decoder.onnx was skipped. Set before [method start].
var labelled: int = -1
## path -> {"size": int, "sha256": String}, as the server last described the file.
var remote: Dictionary = {}
## The files copied and checked so far, in order.
var done: PackedStringArray = []
## The file being copied ("" between files).
var current: String = ""
## Why the export stopped ("" unless it failed).
var error: String = ""
## Bytes of the finished files plus the current file's, and of all files.
var bytes_done: int = 0
var bytes_total: int = 0
## Chunks copied since [method start], over every retry (a resume fetches no finished file
## again).
var chunks_fetched: int = 0

var _send: Callable
## Bumped by every start, retry, cancel and failure: a reply of an older attempt is dropped.
var _attempt: int = 0
var _pending: VaeStudioRequest
var _file: FileAccess
var _hash: HashingContext
var _offset: int = 0
var _restarts: int = 0
var _size_index: int = 0


func _init(send: Callable) -> void:
	_send = send


func is_busy() -> bool:
	return state in [State.EXPORTING, State.SIZING, State.FETCHING]


## True after a failure or a cancel: [method retry] goes on from there.
func can_retry() -> bool:
	return state in [State.FAILED, State.CANCELLED]


## Exports `item_list` of run `run_name` into `destination` (user:// or an absolute path).
## A folder that cannot be written fails at once, before anything is sent.
func start(run_name: String, item_list: PackedStringArray, destination: String) -> void:
	_drop_part()
	_attempt += 1
	run = run_name
	items = item_list
	folder = ExportPlan.absolute(destination)
	files = []
	skipped = []
	remote = {}
	done = []
	bytes_done = 0
	bytes_total = 0
	chunks_fetched = 0
	_begin()


## Goes on after a failure or a cancel: the finished files stay, the rest is fetched (or the
## whole export asked again when `run.export` itself had not answered).
func retry() -> void:
	if not can_retry():
		return
	_attempt += 1
	_begin()


## Stops now: the reply in flight is dropped, a pending `run.export` is cancelled on the server
## and the partial file removed. The finished files stay.
func cancel() -> void:
	if not is_busy():
		return
	if state == State.EXPORTING and _pending != null:
		_send.call("cancel", {"id": _pending.id}, Callable())
	_attempt += 1
	_drop_part()
	error = ""
	state = State.CANCELLED
	progressed.emit()
	finished.emit(false)


## Stops with `why` as the error, as a failure does (e.g. the Studio moved to another backend,
## whose replies would never come). The finished files stay; Retry goes on.
func abort(why: String) -> void:
	if is_busy():
		_fail(why)


func _begin() -> void:
	error = ""
	var problem: String = ExportPlan.folder_problem(folder)
	if not problem.is_empty():
		_fail(problem)
		return
	if files.is_empty():
		state = State.EXPORTING
		_request("run.export", {"run": run, "items": Array(items)}, _on_export_reply)
	else:
		_size_files()


## Sends an op; its reply reaches `handler` only while this attempt is still the current one.
func _request(op: String, args: Dictionary, handler: Callable) -> void:
	var attempt: int = _attempt
	var on_reply: Callable = func(request: VaeStudioRequest) -> void:
		if attempt == _attempt:
			handler.call(request)
	_pending = _send.call(op, args, on_reply)
	progressed.emit()


func _on_export_reply(request: VaeStudioRequest) -> void:
	if not request.is_ok():
		_fail(StudioNotices.request_text("run.export", _describe_failure(request)))
		return
	var listed: Variant = request.result().get("files")
	if not listed is Array:
		_fail("The backend exported the run but listed no files.")
		return
	var names: PackedStringArray = []
	for name: Variant in listed:
		var problem: String = ExportPlan.path_problem(str(name)) if name is String else "not a name"
		if not problem.is_empty():
			_fail("The backend listed a file this export will not write: %s." % problem)
			return
		names.append(name)
	files = names
	skipped = ExportPlan.skipped(items, files, labelled)
	_size_files()


## Learns the size and SHA-256 of every file still to copy, one 1-byte fetch each.
func _size_files() -> void:
	state = State.SIZING
	_size_index = 0
	_size_next()


func _size_next() -> void:
	while _size_index < files.size() and done.has(files[_size_index]):
		_size_index += 1
	if _size_index >= files.size():
		_count_bytes()
		state = State.FETCHING
		_next_file()
		return
	var path: String = files[_size_index]
	current = path
	var args: Dictionary = {"run": run, "path": path, "offset": 0, "length": 1}
	_request("run.fetch", args, _on_size_reply.bind(path))


func _on_size_reply(request: VaeStudioRequest, path: String) -> void:
	var problem: String = _describe_reply(request)
	if not problem.is_empty():
		_fail("Could not read the size of %s: %s" % [path, problem])
		return
	remote[path] = _file_info(request.result())
	_size_index += 1
	_size_next()


func _count_bytes() -> void:
	bytes_total = 0
	bytes_done = 0
	for path in files:
		var size: int = int(remote.get(path, {}).get("size", 0))
		bytes_total += size
		if done.has(path):
			bytes_done += size


## Opens the next file not yet copied, or finishes.
func _next_file() -> void:
	current = ""
	for path in files:
		if not done.has(path):
			current = path
			break
	if current.is_empty():
		state = State.DONE
		progressed.emit()
		finished.emit(true)
		return
	_restarts = 0
	_open_part()


func _open_part() -> void:
	var part: String = folder + current + ".part"
	var made: Error = DirAccess.make_dir_recursive_absolute(part.get_base_dir())
	_file = FileAccess.open(part, FileAccess.WRITE) if made == OK else null
	if _file == null:
		var why: Error = made if made != OK else FileAccess.get_open_error()
		_fail("Cannot write %s (%s)." % [part, error_string(why)])
		return
	_hash = HashingContext.new()
	_hash.start(HashingContext.HASH_SHA256)
	_offset = 0
	_fetch_chunk()


func _fetch_chunk() -> void:
	var size: int = int(remote[current]["size"])
	var length: int = ExportPlan.next_length(_offset, size, chunk_size)
	if length == 0:
		_complete_file()
		return
	var args: Dictionary = {"run": run, "path": current, "offset": _offset, "length": length}
	_request("run.fetch", args, _on_chunk_reply.bind(length))


func _on_chunk_reply(request: VaeStudioRequest, asked: int) -> void:
	var problem: String = _describe_reply(request)
	if not problem.is_empty():
		_fail(_stopped_at(problem))
		return
	var result: Dictionary = request.result()
	var info: Dictionary = _file_info(result)
	if info != remote[current]:
		_restart_file(info)
		return
	var data: PackedByteArray = result["data"]
	if data.is_empty() or data.size() > asked or int(result.get("offset", -1)) != _offset:
		_fail(
			_stopped_at(
				(
					"the server sent %d bytes at offset %s for %d asked at %d"
					% [data.size(), str(result.get("offset")), asked, _offset]
				)
			)
		)
		return
	_file.store_buffer(data)
	if _file.get_error() != OK:
		_fail(
			_stopped_at(
				"writing it failed (%s; is the disk full?)" % error_string(_file.get_error())
			)
		)
		return
	_hash.update(data)
	_offset += data.size()
	bytes_done += data.size()
	chunks_fetched += 1
	progressed.emit()
	_fetch_chunk()


## The file changed on the server while it was copied: start it again, as it is now.
func _restart_file(info: Dictionary) -> void:
	if _restarts >= MAX_RESTARTS:
		_fail(_stopped_at("it kept changing on the server while it was copied"))
		return
	_restarts += 1
	bytes_total += int(info["size"]) - int(remote[current]["size"])
	remote[current] = info
	_drop_part()
	_open_part()


func _complete_file() -> void:
	_file.close()
	_file = null
	var part: String = folder + current + ".part"
	var digest: String = _hash.finish().hex_encode()
	var expected: String = str(remote[current]["sha256"])
	if digest != expected:
		DirAccess.remove_absolute(part)
		_fail(
			(
				"%s arrived with SHA-256 %s…, the server's is %s…: it was removed. Retry fetches it again."
				% [current, digest.left(12), expected.left(12)]
			)
		)
		return
	var final: String = folder + current
	if FileAccess.file_exists(final):
		DirAccess.remove_absolute(final)
	var moved: Error = DirAccess.rename_absolute(part, final)
	if moved != OK:
		DirAccess.remove_absolute(part)
		_fail("Could not rename %s to %s (%s)." % [part, final, error_string(moved)])
		return
	done.append(current)
	progressed.emit()
	_next_file()


## What is wrong with a `run.fetch` reply ("" when it is usable).
func _describe_reply(request: VaeStudioRequest) -> String:
	if not request.is_ok():
		return _describe_failure(request)
	var result: Dictionary = request.result()
	if (
		not result.get("data") is PackedByteArray
		or typeof(result.get("size")) != TYPE_INT
		or not result.get("sha256") is String
	):
		return "the backend sent a part of a file without its data, size or checksum"
	return ""


## "disconnected: the connection to … was lost", as the session words a failure.
static func _describe_failure(request: VaeStudioRequest) -> String:
	if request.error_code() == "unknown_op":
		return "this backend does not support '%s' (it is older than the Studio)" % request.op
	return "%s: %s" % [request.error_code(), request.error_message()]


static func _file_info(result: Dictionary) -> Dictionary:
	return {"size": int(result.get("size", 0)), "sha256": str(result.get("sha256", ""))}


## "The export stopped at latents.npz (64.0 KiB of 1.2 MiB): <why>. …"
func _stopped_at(why: String) -> String:
	var size: int = int(remote.get(current, {}).get("size", 0))
	var at: String = (
		"%s (%s of %s)" % [current, ExportPlan.human_bytes(_offset), ExportPlan.human_bytes(size)]
	)
	return (
		(
			"The export stopped at %s: %s. Its partial file was removed; %d finished file(s) stay."
			% [at, why, done.size()]
		)
		+ " Retry goes on from there."
	)


func _fail(why: String) -> void:
	_attempt += 1
	_drop_part()
	error = why
	state = State.FAILED
	progressed.emit()
	finished.emit(false)


## Closes and removes the partial file of the current file, if one is open or left.
func _drop_part() -> void:
	if _file != null:
		_file.close()
		_file = null
	if not current.is_empty() and not folder.is_empty():
		var part: String = folder + current + ".part"
		if FileAccess.file_exists(part):
			DirAccess.remove_absolute(part)
	if state == State.FETCHING:
		bytes_done -= _offset
	_offset = 0
