/*
 * rthv RTOS - T-Kernel standard data types (tk/typedef.h)
 *
 * Type names and widths follow the T-Kernel 2.0 / micro T-Kernel 3.0
 * specification for a 32-bit processor.
 */
#ifndef TK_TYPEDEF_H
#define TK_TYPEDEF_H

typedef signed char         B;
typedef signed short        H;
typedef signed int          W;
typedef signed long long    D;
typedef unsigned char       UB;
typedef unsigned short      UH;
typedef unsigned int        UW;
typedef unsigned long long  UD;

typedef volatile UB         _UB;
typedef volatile UH         _UH;
typedef volatile UW         _UW;

typedef signed int          INT;
typedef unsigned int        UINT;
typedef W                   SZ;     /* size */
typedef INT                 ID;     /* object ID */
typedef W                   MSEC;   /* time in milliseconds */
typedef void                (*FP)();
typedef INT                 (*FUNCP)();
typedef UINT                BOOL;
typedef INT                 FN;
typedef UW                  ATR;    /* object / handler attribute */
typedef INT                 ER;     /* error code */
typedef INT                 PRI;    /* priority */
typedef W                   TMO;    /* timeout (ms) */
typedef UW                  RELTIM; /* relative time (ms) */

typedef struct systim {             /* system time (ms), 64 bit */
	W	hi;                 /* upper 32 bits */
	UW	lo;                 /* lower 32 bits */
} SYSTIM;

#define TRUE        1
#define FALSE       0
#ifndef NULL
#define NULL        ((void *)0)
#endif
#define CONST       const
#define LOCAL       static
#define EXPORT
#define IMPORT      extern

#define TA_NULL     0U              /* no attribute */
#define TMO_POL     0               /* polling */
#define TMO_FEVR    (-1)            /* wait forever */

#endif
