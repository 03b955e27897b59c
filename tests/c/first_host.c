/* The README's first C host: attach to the tmux server on socket argv[1] (`tmux -L NAME`),
 * wait until muxlink has synced every pane, print the active pane's screen, detach.
 * tests/c/run.sh compiles it and runs it against a server of its own. */
#include <muxlink.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 2 || muxlink_abi_version() != MUXLINK_ABI_VERSION) return 2;
    muxlink_client_config cfg;
    muxlink_client_config_init(&cfg); /* 80x24, grid mode, attach handshake on */
    muxlink_client *c = NULL;
    if (muxlink_client_new(&cfg, &c) != MUXLINK_OK) return 1;
    muxlink_transport t;
    muxlink_transport_init(&t); /* local tmux, attach */
    t.socket_name = (muxlink_str){(const uint8_t *)argv[1], strlen(argv[1])};
    muxlink_event ev;
    muxlink_event_init(&ev);
    int ready = 0, gone = muxlink_client_spawn(c, &t) != MUXLINK_OK;
    while (!ready && !gone && muxlink_client_turn(c, 100) == MUXLINK_OK)
        while (muxlink_client_next_event(c, &ev) == MUXLINK_OK && ev.kind != MUXLINK_EVENT_NONE) {
            ready |= ev.kind == MUXLINK_EVENT_READY;
            gone |= ev.kind == MUXLINK_EVENT_EXITED;
        }
    uint32_t window = MUXLINK_NONE, pane = MUXLINK_NONE;
    muxlink_client_active(c, &window, &pane);
    uint8_t row[4096];
    size_t len = 0;
    for (uint32_t y = 0; ready && muxlink_client_pane_row_text(c, pane, y, row, sizeof row, &len) == MUXLINK_OK; y++)
        printf("%.*s\n", (int)len, (const char *)row);
    muxlink_client_detach(c, NULL);
    muxlink_client_free(c); /* frees everything it holds; the tmux child is reaped */
    return ready ? 0 : 1;
}
