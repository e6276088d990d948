# The two commands of the README: `make run` serves, `make test` tests. Each sets itself up.
.PHONY: run test venv bench bench-models bench-usecases screenshots

venv:
	@scripts/setup_venv.sh

run: venv
	.venv/bin/vaestudio serve $(ARGS)

test: venv
	.venv/bin/python -m pytest $(PYTEST_ARGS)

bench: venv
	.venv/bin/python bench/bench_scale.py
	.venv/bin/python bench/bench_step_overhead.py
	.venv/bin/python bench/bench_optimizer.py
	.venv/bin/python bench/bench_decode_load.py
	.venv/bin/python bench/bench_startup.py
	.venv/bin/python bench/bench_distributed.py
	.venv/bin/python bench/bench_latent.py
	.venv/bin/python bench/bench_insights.py
	.venv/bin/python bench/bench_trace.py
	.venv/bin/python bench/bench_history.py
	.venv/bin/python bench/bench_godot.py
	.venv/bin/python bench/bench_godot_decoder.py
	.venv/bin/python bench/bench_pythae.py

bench-models: venv
	.venv/bin/python bench/bench_models.py

bench-usecases: venv
	.venv/bin/python bench/bench_usecases.py

# Every view of the Studio, rendered against a live backend under Xvfb, into docs/screenshots/
# (and the main view into docs/screenshot.png for the README).
screenshots: venv
	.venv/bin/python scripts/render_screenshots.py docs/screenshots
