/*
 * rthv RTOS - T-Kernel error codes (tk/errno.h)
 *
 * An error code is ERCD(main, sub): the main code in the upper 16 bits
 * (negative) and the sub code in the lower 16 bits, so E_PAR, for
 * example, is -17 << 16 = -1114112 (0xffef0000).
 */
#ifndef TK_ERRNO_H
#define TK_ERRNO_H

#define ERCD(mer, ser)  ((ER)(((UW)(mer) << 16) | ((UW)(ser) & 0xffffU)))
#define MERCD(er)       ((ER)(er) >> 16)
#define SERCD(er)       ((H)(er))

#define E_OK        0               /* normal completion */
#define E_SYS       ERCD(-5, 0)     /* system error */
#define E_NOCOP     ERCD(-6, 0)     /* coprocessor not usable */
#define E_NOSPT     ERCD(-9, 0)     /* unsupported function */
#define E_RSFN      ERCD(-10, 0)    /* reserved function code */
#define E_RSATR     ERCD(-11, 0)    /* reserved attribute */
#define E_PAR       ERCD(-17, 0)    /* parameter error */
#define E_ID        ERCD(-18, 0)    /* invalid ID number */
#define E_CTX       ERCD(-25, 0)    /* context error */
#define E_MACV      ERCD(-26, 0)    /* memory access violation */
#define E_OACV      ERCD(-27, 0)    /* object access violation */
#define E_ILUSE     ERCD(-28, 0)    /* illegal service call use */
#define E_NOMEM     ERCD(-33, 0)    /* insufficient memory */
#define E_LIMIT     ERCD(-34, 0)    /* system limit exceeded */
#define E_OBJ       ERCD(-41, 0)    /* invalid object state */
#define E_NOEXS     ERCD(-42, 0)    /* object does not exist */
#define E_QOVR      ERCD(-43, 0)    /* queuing overflow */
#define E_RLWAI     ERCD(-49, 0)    /* wait state forcibly released */
#define E_TMOUT     ERCD(-50, 0)    /* polling failure or timeout */
#define E_DLT       ERCD(-51, 0)    /* waited-for object deleted */
#define E_DISWAI    ERCD(-52, 0)    /* wait released by wait disable */
#define E_IO        ERCD(-57, 0)    /* I/O error */

#endif
