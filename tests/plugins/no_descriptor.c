/*
 * no_descriptor.c - a shared object that exports no neptun_plugin symbol
 * (a library named in the config by mistake).  The host must say that the
 * file is not a neptun plugin and go on.
 */
#include <neptun/common.h>

int no_descriptor_answer(void);

int no_descriptor_answer(void)
{
    return NEPTUN_OK;
}
