extends "res://tests/test_case.gd"
## Checks of the test runner itself.


func test_deep_equal_is_strict() -> void:
	check(not deep_equal(1, 1.0), "int and float differ")
	check(not deep_equal({"a": [1]}, {"a": [1.0]}), "nested int and float differ")
	check(not deep_equal({1: 2}, {1.0: 2}), "int and float keys differ")
	check(deep_equal({"a": PackedByteArray([1])}, {"a": PackedByteArray([1])}), "bin equal")
	check(not deep_equal([1, 2], [2, 1]), "order matters in arrays")


## Run only on request (tests/test_godot_unit.py): the runner must count it and exit 1.
func test_deliberate_failure() -> void:
	check(false, "this failure is deliberate")
