// The public API of attn. Applications include this header and link `attn`.
#pragma once

#include "attn/bench.h"
#include "attn/chat.h"
#include "attn/chat_template.h"
#include "attn/classify.h"
#include "attn/embed.h"
#include "attn/error.h"
#include "attn/generate.h"
#include "attn/log.h"
#include "attn/model.h"
#include "attn/quantize.h"
#include "attn/records.h"
#include "attn/sampler.h"
#include "attn/score.h"
#include "attn/tokenizer.h"
#include "attn/translate.h"
