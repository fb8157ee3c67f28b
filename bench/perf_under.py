import sys, collections
# Where the samples under one function go, from `perf script -F ip,sym`.
# usage: python3 bench/perf_under.py script.txt FUNCSUBSTR
# prints the share of all samples under FUNCSUBSTR, split by the frame it
# called directly, and by the leaf (self) function.
f, key = sys.argv[1], sys.argv[2]
tot=0; hit=0; c=collections.Counter(); selfc=collections.Counter()
stack=[]
def flush():
    global tot, hit
    if not stack: return
    tot+=1
    # stack[0] is leaf
    for i,s in enumerate(stack):
        if key in s:
            hit+=1
            callee = stack[i-1] if i>0 else '<self>'
            c[callee]+=1
            selfc[stack[0]]+=1
            break
for line in open(f):
    line=line.rstrip('\n')
    if not line.strip():
        flush(); stack=[]; continue
    parts=line.strip().split(None,1)
    stack.append(parts[1] if len(parts)>1 else '?')
flush()
print(f"samples {tot}, under {key}: {hit} ({100*hit/tot:.1f}%)")
print("-- direct callees")
for k,v in c.most_common(18): print(f"{100*v/tot:6.2f}% {k[:130]}")
print("-- leaf (self) functions under it")
for k,v in selfc.most_common(12):
    print(f"{100*v/tot:6.2f}% {k[:130]}")
