# rt-overload: the rt-periodic program with the overloaded task set (U > 1)
SRCDIR_rt-overload := apps/rt-periodic
CFLAGS_rt-overload := -DRT_TASKSET_OVERLOAD
