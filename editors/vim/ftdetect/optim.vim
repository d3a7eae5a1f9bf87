" Optim Lab: files ending in .optim are the optim filetype.
autocmd BufRead,BufNewFile *.optim setfiletype optim
