# bash completion for omnirctl(8).
#
# The words come from omnirctl itself: the hidden "omnirctl __complete WORD..."
# reads its grammar table (ctl/grammar.c) and prints the candidates for the
# last word, so this file never lists a command and cannot fall behind the
# binary. Where a file or a free word goes it prints nothing, and bash falls
# back to file names (-o default).
_omnirctl()
{
	local IFS=$'\n' cur="${COMP_WORDS[COMP_CWORD]}"

	COMPREPLY=($("${COMP_WORDS[0]}" __complete \
	    "${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" 2>/dev/null))
}
complete -o default -F _omnirctl omnirctl
