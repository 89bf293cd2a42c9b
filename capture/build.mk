# capture/build.mk - builds the Valgrind tool of the DBI backend (capture/vgtool/) against the
# installed Valgrind headers and static libraries, and a VALGRIND_LIB folder build/vg/ that
# holds the tool next to links to every file of the stock Valgrind lib folder. The tool is
# never installed into the system's Valgrind; `make install` copies build/vg/ to
# $(PREFIX)/lib/mmsim/vg/ and mmsim finds it relative to its own binary.

VG_SYSLIB ?= /usr/lib/x86_64-linux-gnu/valgrind
# The run-time folder (vgpreload_core, default.supp, the other tools): Debian keeps it in
# /usr/libexec/valgrind, other systems next to the static libraries.
VG_RUNLIB ?= $(firstword $(dir $(wildcard /usr/libexec/valgrind/vgpreload_core-amd64-linux.so \
               $(VG_SYSLIB)/vgpreload_core-amd64-linux.so /usr/lib/valgrind/vgpreload_core-amd64-linux.so)))
VG_INC ?= /usr/include/valgrind
VG_TOOL = build/vg/mmsimtrace-amd64-linux
VG_CFLAGS = -m64 -O2 -g -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
            -fno-stack-protector -fno-strict-aliasing -fno-builtin -fomit-frame-pointer -fno-pie \
            -I$(VG_INC) -DVGA_amd64=1 -DVGO_linux=1 -DVGP_amd64_linux=1 -DVGPV_amd64_linux_vanilla=1
VG_LDFLAGS = -m64 -static -nodefaultlibs -nostartfiles -u _start -no-pie \
             -Wl,-Ttext-segment=0x58000000

build/vg/obj/%.o: capture/vgtool/%.c capture/vgtool/protocol.h
	@mkdir -p $(dir $@)
	$(CC) $(VG_CFLAGS) -c $< -o $@

$(VG_TOOL): build/vg/obj/mmsimtrace.o
	@mkdir -p build/vg
	$(CC) $(VG_LDFLAGS) $^ $(VG_SYSLIB)/libcoregrind-amd64-linux.a \
	    $(VG_SYSLIB)/libvex-amd64-linux.a -lgcc -o $@
	@for f in $(VG_RUNLIB)* $(VG_SYSLIB)/*; do \
	    case "$${f##*/}" in mmsimtrace-*) ;; *) ln -sfn "$$f" build/vg/;; esac; done

EXTRA_BUILD += $(VG_TOOL)
INSTALL_EXTRA += install -d $(DESTDIR)$(PREFIX)/lib/mmsim/vg && \
    cp -P build/vg/* $(DESTDIR)$(PREFIX)/lib/mmsim/vg/ 2>/dev/null; \
    install -m 755 $(VG_TOOL) $(DESTDIR)$(PREFIX)/lib/mmsim/vg/;
