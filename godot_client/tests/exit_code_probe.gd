extends SceneTree
## Quits with the code given as `-- --code=N`, so the Python side can check that quit(code)
## really sets the process exit status on the Godot in use.


func _initialize() -> void:
	var code: int = 0
	for arg: String in OS.get_cmdline_user_args():
		if arg.begins_with("--code="):
			code = arg.trim_prefix("--code=").to_int()
	quit(code)
