" Vim syntax file for Optim Lab's .optim files (Vim and Neovim).
" The lists of names follow the language's tables: declaration keywords in
" server/src/syntax/tokens.ts, builtins and settings in server/src/language/.
" test/unit/vim-syntax.test.ts fails when a list here differs from them, so
" keep each list on one line, as `syntax keyword` words or one \%(a\|b\) list.

if exists("b:current_syntax")
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

syntax case match
syntax iskeyword @,48-57,_

" Every declaration starts with one of these; they are reserved everywhere.
syntax keyword optimDeclaration data hyper param score loss grad optimizer run sweep search landscape gradcheck

syntax keyword optimBuiltin max min relu abs exp log sqrt tanh sigmoid sum mean logsumexp softmax onehot dropout_mask batch_mean batch_var conv2d maxpool avgpool upsample reshape flatten transpose flip
syntax keyword optimInitialiser randn rand zeros ones xavier he

" X y N D C stand for the examples, except as a member (d.X) or a named
" argument (inline(X=...)).
syntax match optimImplicit "\.\@<!\<\%(X\|y\|N\|D\|C\)\>\%(\s*=[^=]\)\@!"

" Data sources, schedules and strategies are names of their own only where
" they are called; optimizer rules follow the '=' of an optimizer.
syntax match optimDataSource "\<\%(cifar10\|idx\|csv\|npy\|inline\|toy\|spiral\|blobs\)\ze\s*("
syntax match optimSchedule "\<\%(constant\|step\|exponential\|inverse_time\|cosine\|warmup\|one_cycle\)\ze\s*("
syntax match optimStrategy "\<\%(random_search\|random_local_search\)\ze\s*("
syntax match optimRule "\%(=\s*\)\@<=\<\%(sgd\|momentum\|nesterov\|adagrad\|rmsprop\|adam\)\>"

" A setting's key starts a line of its block or follows '{', ',' or ';';
" followed by '=' it is a named argument of a call instead.
syntax match optimSetting "\%(\%(^\|[{,;]\)\s*\)\@<=\<\%(train\|val\|test\|scale\|center\|bias_trick\|flatten\|first\|sample\|seed\|bn_momentum\|lr\|batch\|schedule\|mu\|eps\|decay\|beta1\|beta2\|minimize\|on\|by\|steps\|epochs\|eval\|every\|patience\|start_from\|points\|method\|trials\|of\|directions\|range\|normalize\|along\|trajectory\|wrt\|samples\|projections\|h\)\>\%(\s*=\)\@!"

" Where several patterns match at one place, Vim takes the one defined last:
" so '..' after '.', ^T after ^, and numbers (.5) after both.
syntax match optimDelimiter "[(){}[\],;:.]"
syntax match optimOperator "[<>=!]=\|\.\.\|[-+*/@^=<>]"
" ^T transposes (W^T, W ^ T); ^2 is a power.
syntax match optimTranspose "\^\s*T\>"

" The grad's name, dL/dW, after its keyword.
syntax match optimGradName "\%(\<grad\s\+\)\@<=\h\w*\s*/\s*\h\w*"

" As the lexer reads them: 1, 1.5, 1., .5, 1e-7; in 1..5 the dots are a range.
syntax match optimNumber "\%(\w\@<!\d\+\%(\.\.\@!\d*\)\=\|\%(\w\|\.\)\@<!\.\d\+\)\%([eE][+-]\=\d\+\)\="

" A string ends at its closing quote or, unterminated, at the end of its line.
syntax region optimString start=+"+ skip=+\\.+ end=+"+ end=+$+ oneline contains=optimEscape
syntax match optimEscape +\\.+ contained

syntax keyword optimTodo TODO FIXME XXX contained
syntax match optimComment "#.*$" contains=optimTodo,@Spell

highlight default link optimDeclaration Keyword
highlight default link optimBuiltin Function
highlight default link optimInitialiser Function
highlight default link optimImplicit Constant
highlight default link optimDataSource Function
highlight default link optimSchedule Function
highlight default link optimStrategy Function
highlight default link optimRule Function
highlight default link optimSetting Type
highlight default link optimOperator Operator
highlight default link optimTranspose Operator
highlight default link optimDelimiter Delimiter
highlight default link optimGradName Identifier
highlight default link optimNumber Number
highlight default link optimString String
highlight default link optimEscape SpecialChar
highlight default link optimTodo Todo
highlight default link optimComment Comment

let b:current_syntax = "optim"

let &cpo = s:cpo_save
unlet s:cpo_save
