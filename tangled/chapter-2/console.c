#line 466 "chapters/00-workbench.nw"
/* console.c: the serial port, the VGA text screen, and kprintf. */
#include "kernel.h"
#include "x86.h"

#line 107 "chapters/00-workbench.nw"
#define COM1            0x3F8
#define COM_DATA        0       /* receive / transmit buffer */
#define COM_INT_ENABLE  1
#define COM_FIFO_CTRL   2
#define COM_LINE_CTRL   3
#define COM_MODEM_CTRL  4
#define COM_LINE_STATUS 5
#define COM_LCR_DLAB    0x80    /* registers 0 and 1 become the baud divisor */
#define COM_LCR_8N1     0x03
#define COM_LSR_READY   0x01    /* a received byte is waiting */
#define COM_LSR_THRE    0x20    /* transmit holding register empty */

static int early[16], nearly;           /* bytes received before serial_init */

static void
serial_init(void)
{
    while (nearly < 16 && (inb(COM1 + COM_LINE_STATUS) & COM_LSR_READY))
        early[nearly++] = inb(COM1 + COM_DATA);
    outb(COM1 + COM_INT_ENABLE, 0x00);      /* no interrupts: we poll */
    outb(COM1 + COM_LINE_CTRL, COM_LCR_DLAB);
    outb(COM1 + COM_DATA, 1);               /* divisor 1: 115200 baud */
    outb(COM1 + COM_INT_ENABLE, 0);
    outb(COM1 + COM_LINE_CTRL, COM_LCR_8N1);
    outb(COM1 + COM_FIFO_CTRL, 0xC7);       /* enable and clear the FIFOs */
    outb(COM1 + COM_MODEM_CTRL, 0x03);      /* DTR and RTS */
}
#line 148 "chapters/00-workbench.nw"
static void
serial_putc(char c)
{
    if (c == '\n')
        serial_putc('\r');
    for (int i = 0; i < 100000; i++)
        if (inb(COM1 + COM_LINE_STATUS) & COM_LSR_THRE)
            break;
    outb(COM1 + COM_DATA, (uint8_t)c);
}

/* Return the next received byte, or -1 if none is waiting. */
static int
serial_getc(void)
{
    static int taken;
    if (taken < nearly)
        return early[taken++];
    if (!(inb(COM1 + COM_LINE_STATUS) & COM_LSR_READY))
        return -1;
    return inb(COM1 + COM_DATA);
}
#line 182 "chapters/00-workbench.nw"
#define VGA_COLS   80
#define VGA_ROWS   25
#define VGA_COLOR  0x07             /* light grey on black */

static uint16_t *const vga = P2V(0xB8000);
static int vga_row, vga_col;

static void
vga_scroll(void)
{
    for (int i = 0; i < (VGA_ROWS - 1) * VGA_COLS; i++)
        vga[i] = vga[i + VGA_COLS];
    for (int i = (VGA_ROWS - 1) * VGA_COLS; i < VGA_ROWS * VGA_COLS; i++)
        vga[i] = VGA_COLOR << 8 | ' ';
    vga_row = VGA_ROWS - 1;
}
#line 201 "chapters/00-workbench.nw"
static void
vga_putc(char c)
{
    if (c == '\n') {
        vga_col = 0;
        vga_row++;
    } else if (c == '\b') {
        if (vga_col > 0)
            vga[vga_row * VGA_COLS + --vga_col] = VGA_COLOR << 8 | ' ';
    } else if (c != '\r') {
        vga[vga_row * VGA_COLS + vga_col] = VGA_COLOR << 8 | (uint8_t)c;
        if (++vga_col == VGA_COLS) {
            vga_col = 0;
            vga_row++;
        }
    }
    if (vga_row == VGA_ROWS)
        vga_scroll();
}

static void
vga_clear(void)
{
    for (int i = 0; i < VGA_ROWS * VGA_COLS; i++)
        vga[i] = VGA_COLOR << 8 | ' ';
    vga_row = vga_col = 0;
}
#line 237 "chapters/00-workbench.nw"
static char *capture_buf;
static size_t capture_size, capture_len;

void
console_init(void)
{
    serial_init();
    vga_clear();
}

void
console_putc(char c)
{
    if (capture_buf && capture_len + 1 < capture_size) {
        capture_buf[capture_len++] = c;
        capture_buf[capture_len] = '\0';
    }
    serial_putc(c);
    vga_putc(c);
}

void
console_capture(char *buf, size_t size)
{
    capture_buf = buf;
    capture_size = size;
    capture_len = 0;
    if (buf && size)
        buf[0] = '\0';
}

int
console_getc(void)
{
    return serial_getc();
}
#line 286 "chapters/00-workbench.nw"
struct sink {
    char *buf;          /* NULL: write to the console */
    size_t size, len;   /* len counts every byte, even those that did not fit */
};

static void
sink_putc(struct sink *s, char c)
{
    if (!s->buf)
        console_putc(c);
    else if (s->len + 1 < s->size)
        s->buf[s->len] = c;
    s->len++;
}
#line 307 "chapters/00-workbench.nw"
static void
put_number(struct sink *s, unsigned long long v, unsigned base, bool upper,
           bool negative, int width, bool zero_pad, bool left)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    int len = n + negative;
    if (negative && zero_pad)
        sink_putc(s, '-');
    for (; !left && width > len; width--)
        sink_putc(s, zero_pad ? '0' : ' ');
    if (negative && !zero_pad)
        sink_putc(s, '-');
    while (n)
        sink_putc(s, tmp[--n]);
    for (; left && width > len; width--)
        sink_putc(s, ' ');
}
#line 333 "chapters/00-workbench.nw"
static void
put_string(struct sink *s, const char *str, int width, bool left)
{
    int len = 0;
    if (!str)
        str = "(null)";
    while (str[len])
        len++;
    for (; !left && width > len; width--)
        sink_putc(s, ' ');
    for (int i = 0; i < len; i++)
        sink_putc(s, str[i]);
    for (; left && width > len; width--)
        sink_putc(s, ' ');
}
#line 355 "chapters/00-workbench.nw"
static void
format(struct sink *s, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            sink_putc(s, *fmt);
            continue;
        }
        const char *start = fmt++;
        bool left = false, zero_pad = false;
        int width = 0, longs = 0;
#line 373 "chapters/00-workbench.nw"
        for (;; fmt++) {
            if (*fmt == '-')
                left = true;
            else if (*fmt == '0')
                zero_pad = true;
            else
                break;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        for (; *fmt == 'l' || *fmt == 'z'; fmt++)
            longs += *fmt == 'l' ? 1 : (sizeof(size_t) > sizeof(int) ? 2 : 0);
        zero_pad = zero_pad && !left;
#line 393 "chapters/00-workbench.nw"
        unsigned long long u;
        long long d;
        switch (*fmt) {
        case 'd': case 'i':
            d = longs >= 2 ? va_arg(ap, long long) : longs ? va_arg(ap, long) : va_arg(ap, int);
            u = d < 0 ? 0ull - (unsigned long long)d : (unsigned long long)d;
            put_number(s, u, 10, false, d < 0, width, zero_pad, left);
            break;
        case 'u': case 'x': case 'X':
            u = longs >= 2 ? va_arg(ap, unsigned long long)
              : longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            put_number(s, u, *fmt == 'u' ? 10 : 16, *fmt == 'X', false, width, zero_pad, left);
            break;
        case 'p':
            put_string(s, "0x", 0, false);
            put_number(s, (uintptr_t)va_arg(ap, void *), 16, false, false,
                       2 * sizeof(void *), true, false);
            break;
        case 's':
            put_string(s, va_arg(ap, const char *), width, left);
            break;
        case 'c':
            sink_putc(s, (char)va_arg(ap, int));
            break;
        case '%':
            sink_putc(s, '%');
            break;
        default:                        /* unknown: print it as written */
            for (; start <= fmt && *start; start++)
                sink_putc(s, *start);
            if (!*fmt)
                fmt--;
        }
#line 368 "chapters/00-workbench.nw"
    }
}
#line 433 "chapters/00-workbench.nw"
int
kvprintf(const char *fmt, va_list ap)
{
    struct sink s = { 0 };
    format(&s, fmt, ap);
    return (int)s.len;
}

int
kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvprintf(fmt, ap);
    va_end(ap);
    return n;
}

int
ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    struct sink s = { buf, size, 0 };
    va_list ap;
    va_start(ap, fmt);
    format(&s, fmt, ap);
    va_end(ap);
    if (size)
        buf[s.len < size ? s.len : size - 1] = '\0';
    return (int)s.len;
}
