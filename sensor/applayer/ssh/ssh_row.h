/* What detection reads from an SSH transaction of the app-layer registry
 * (ssh_row.c): the parser's state, both sides' banners and KEXINITs. */
#ifndef XIEZHI_APPLAYER_SSH_ROW_H
#define XIEZHI_APPLAYER_SSH_ROW_H

#include "applayer/applayer.h"
#include "applayer/ssh/ssh.h"

const struct ssh_state *ssh_row_state(const struct applayer_tx *tx);

#endif
