#!/bin/sh
# Helm post-renderer: the rendered chart on stdin, every RayCluster compiled in place on
# stdout, every other object passed through untouched. Diagnostics go to stderr; an invalid
# RayCluster exits non-zero and Helm stops.
exec raycc compile -
