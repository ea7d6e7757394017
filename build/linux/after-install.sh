#!/bin/sh
# Load the ModemManager-ignore rule now, so modems already plugged in are released without a reboot.
if command -v udevadm >/dev/null 2>&1; then
  udevadm control --reload-rules || true
  udevadm trigger --subsystem-match=tty || true
fi
