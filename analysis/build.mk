# analysis/build.mk - helper tools of the analysis tests and benchmarks (not installed).
EXTRA_BUILD += build/tools/mmt_synth

build/tools/mmt_synth: analysis/tools/mmt_synth.c build/libmmsim.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< build/libmmsim.a $(LDLIBS) -o $@
